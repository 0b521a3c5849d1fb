// The class-meeting form: say the day chosen in the date picker in Chinese ("2026年3月5日 星期四"),
// whatever format the phone's own picker shows it in.
const WEEKDAYS = "日一二三四五六";

function chineseDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) return "未选择";
  const [year, month, day] = match.slice(1).map(Number);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return `${year}年${month}月${day}日 星期${WEEKDAYS[weekday]}`;
}

document.querySelectorAll("output[data-date-readout]").forEach(function (readout) {
  const input = document.getElementById(readout.htmlFor.value);
  if (!input) return;
  input.addEventListener("input", function () {
    readout.textContent = chineseDate(input.value);
  });
});
