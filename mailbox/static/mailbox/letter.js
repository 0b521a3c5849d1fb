/* 心灵信箱 pages: the writer's school or district from this device's share link or picker
 * (localStorage "sunshine:attribution", written by analytics' share links; read only, nothing
 * is sent anywhere but in the letter's own form), and the button that copies the reply code. */
const form = document.getElementById("mailbox-letter");
if (form && form.elements.district) {
  let stored;
  try {
    stored = JSON.parse(localStorage.getItem("sunshine:attribution") || "null");
  } catch (e) {
    stored = null;
  }
  if (stored && typeof stored === "object") {
    if (typeof stored.district === "string") form.elements.district.value = stored.district;
    if (typeof stored.school === "string") form.elements.school.value = stored.school;
    const place = document.getElementById("mailbox-place");
    if (place && stored.district) {
      place.textContent = "这封信会交给你们" + (stored.school ? "学校" : "区县") + "的心理老师。";
      place.hidden = false;
    }
  }
}

const button = document.getElementById("copy-code");
const code = document.getElementById("reply-code");
const status = document.getElementById("copy-status");
if (button && code) {
  button.addEventListener("click", function () {
    const text = code.getAttribute("data-code");
    function done(ok) {
      status.textContent = ok
        ? "已复制，请粘贴到备忘录里保存。"
        : "无法自动复制，请长按回信码手动复制。";
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        function () {
          done(true);
        },
        function () {
          done(false);
        },
      );
    } else {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      let ok;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      done(ok);
    }
  });
}
