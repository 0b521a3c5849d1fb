/* The counsellor's reply box: a canned reply or a lesson link chosen in a list is added to the
 * text at the end (never replacing what was written), then the list goes back to "—". */
const box = document.getElementById("id_body");
if (box) {
  Array.prototype.forEach.call(document.querySelectorAll("select[data-insert]"), function (select) {
    select.addEventListener("change", function () {
      if (!select.value) return;
      box.value = box.value ? box.value.replace(/\s*$/, "") + "\n\n" + select.value : select.value;
      select.value = "";
      box.focus();
    });
  });
}
