/* The one-time district/school question (templates/analytics/attribution_picker.html, rendered
 * only on pages with a player). Writes the same localStorage entry as share links:
 * {"district", "school", "via": "picker"}.
 *
 * It waits for the first play, so nothing interrupts a child before they choose to watch, then
 * appears right under that player: in the reading and focus order, covering nothing. A status
 * message announces it without taking focus away from the video. */
const KEY = "sunshine:attribution";
const DISMISSED = "sunshine:attribution-dismissed";
const picker = document.getElementById("sunshine-picker");

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch (e) {
    return "unavailable";
  }
}
function write(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch (e) {
    /* nothing to remember with */
  }
}
function answered() {
  return read(KEY) || read(DISMISSED);
}
// Asked once: not again after an answer, a skip, or a share link.
if (picker && !answered()) ask(picker);

function ask(picker) {
  const url = picker.getAttribute("data-places-url");
  const form = picker.querySelector("form");
  const district = document.getElementById("sunshine-picker-district");
  const school = document.getElementById("sunshine-picker-school");
  const error = document.getElementById("sunshine-picker-error");
  const announce = document.getElementById("sunshine-picker-announce");
  let player = null;

  function say(text) {
    // Cleared first so the same words are announced again.
    announce.textContent = "";
    window.setTimeout(function () {
      announce.textContent = text;
    }, 100);
  }
  function fill(select, items) {
    while (select.options.length > 1) select.remove(select.options.length - 1);
    items.forEach(function (item) {
      select.add(new Option(item.name, item.code));
    });
  }
  function load(query) {
    return fetch(url + query, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }
  function showError(show) {
    error.hidden = !show;
    if (show) {
      district.setAttribute("aria-invalid", "true");
      district.setAttribute("aria-describedby", "sunshine-picker-error sunshine-picker-hint");
    } else {
      district.removeAttribute("aria-invalid");
      district.setAttribute("aria-describedby", "sunshine-picker-hint");
    }
  }
  function close(message) {
    picker.hidden = true;
    say(message);
    // Focus was on a button that just disappeared: back to the video the child was watching.
    const target = player && player.querySelector("video, button");
    if (target) target.focus({ preventScroll: true });
  }

  function onPlay(event) {
    const source = event.target;
    if (!source || !source.closest) return;
    const found = source.closest("[data-page-id]") || (source.tagName === "VIDEO" ? source : null);
    if (!found || found.tagName === "SCRIPT") return;
    document.removeEventListener("sunshine:play", onPlay);
    document.removeEventListener("play", onPlay, true);
    if (answered()) return; // a share link opened in another tab meanwhile
    player = found;
    load("")
      .then(function (data) {
        fill(district, data.districts);
        player.insertAdjacentElement("afterend", picker);
        picker.hidden = false;
        say("视频下方有一个可以跳过的问题：你在哪个区县、哪所学校？");
      })
      .catch(function () {
        /* no list, no question: the views count as 未知 */
      });
  }
  // The player announces its first play as sunshine:play; a bare <video> only has "play",
  // which does not bubble, so it is caught on the way down.
  document.addEventListener("sunshine:play", onPlay);
  document.addEventListener("play", onPlay, true);

  district.addEventListener("change", function () {
    showError(false);
    fill(school, []);
    school.disabled = true;
    if (!district.value) return;
    load("?district=" + encodeURIComponent(district.value))
      .then(function (data) {
        fill(school, data.schools);
        school.disabled = data.schools.length === 0;
      })
      .catch(function () {});
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!district.value) {
      showError(true);
      district.focus();
      return;
    }
    write(
      KEY,
      JSON.stringify({ district: district.value, school: school.value || null, via: "picker" }),
    );
    close("谢谢，已记下。");
  });
  picker.querySelector("[data-picker-skip]").addEventListener("click", function () {
    write(DISMISSED, "1");
    close("已跳过，不会再问。");
  });
}
