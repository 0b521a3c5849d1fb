/* The one-time district/school question (templates/analytics/attribution_picker.html, rendered
 * only on pages with a player). Writes the same localStorage entry as share links:
 * {"district", "school", "via": "picker"}.
 *
 * It waits for the first play, so nothing interrupts a child before they choose to watch, then
 * appears right under that player: in the reading and focus order, covering nothing. A status
 * message announces it without taking focus away from the video.
 *
 * Once a school or district is stored (by this question, a share link or a QR code), a small line
 * under the player names it, with 更改: a child who picked the wrong school, or scanned another
 * school's poster, opens the same question again, filled in, and can correct it. */
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
function storedPlace() {
  try {
    const place = JSON.parse(read(KEY) || "null");
    return place && typeof place.district === "string" && place.district ? place : null;
  } catch (e) {
    return null;
  }
}
// Asked once: not again after an answer, a skip, or a share link; then only through 更改.
if (picker) setUp(picker);

function setUp(picker) {
  const url = picker.getAttribute("data-places-url");
  const form = picker.querySelector("form");
  const district = document.getElementById("sunshine-picker-district");
  const school = document.getElementById("sunshine-picker-school");
  const error = document.getElementById("sunshine-picker-error");
  const announce = document.getElementById("sunshine-picker-announce");
  const chosen = document.getElementById("sunshine-picker-chosen");
  const skip = picker.querySelector("[data-picker-skip]");
  let player = null;
  let changing = false; // reopened by 更改: "取消" keeps the old answer instead of skipping

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
    if (changing) {
      changing = false;
      skip.textContent = "跳过";
      showChosen(true);
      return;
    }
    // Focus was on a button that just disappeared: back to the video the child was watching.
    // The player's play button (its <video> has no native controls, so cannot take focus).
    const target =
      player &&
      (player.querySelector("[data-action=play]") || player.querySelector("video, button"));
    if (target) target.focus({ preventScroll: true });
  }
  function thePlayer() {
    return player || document.querySelector(".sunshine-player") || document.querySelector("video");
  }
  function nameOf(items, code) {
    const found = items.find(function (item) {
      return item.code === code;
    });
    return found ? found.name : "";
  }
  // The stored place, by name, under the player, with 更改 (focused when it comes back from a
  // change, so keyboard and screen-reader users stay where they were).
  function showChosen(focus) {
    const place = storedPlace();
    const where = thePlayer();
    if (!chosen || !place || !where) return;
    load("")
      .then(function (data) {
        const district = nameOf(data.districts, place.district);
        if (!district) return null;
        if (!place.school) return district;
        return load("?district=" + encodeURIComponent(place.district)).then(function (found) {
          const school = nameOf(found.schools, place.school);
          return school ? district + " · " + school : district;
        });
      })
      .then(function (text) {
        if (!text) return;
        chosen.querySelector("[data-chosen-place]").textContent = text;
        where.insertAdjacentElement("afterend", chosen);
        chosen.hidden = false;
        if (focus) chosen.querySelector("[data-picker-change]").focus({ preventScroll: true });
      })
      .catch(function () {
        /* no list: nothing to name */
      });
  }
  function open(place) {
    return load("").then(function (data) {
      fill(district, data.districts);
      fill(school, []);
      school.disabled = true;
      district.value = place ? place.district : "";
      thePlayer().insertAdjacentElement("afterend", picker);
      picker.hidden = false;
      if (!place || !district.value) return;
      return loadSchools().then(function () {
        if (place.school) school.value = place.school;
      });
    });
  }
  function loadSchools() {
    fill(school, []);
    school.disabled = true;
    if (!district.value) return Promise.resolve();
    return load("?district=" + encodeURIComponent(district.value))
      .then(function (data) {
        fill(school, data.schools);
        school.disabled = data.schools.length === 0;
      })
      .catch(function () {});
  }
  if (chosen) {
    chosen.querySelector("[data-picker-change]").addEventListener("click", function () {
      changing = true;
      skip.textContent = "取消";
      chosen.hidden = true;
      open(storedPlace())
        .then(function () {
          district.focus();
          say("请重新选择你所在的区县和学校");
        })
        .catch(function () {
          close("暂时无法读取学校列表，请稍后再试。");
        });
    });
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
    open(null)
      .then(function () {
        say("视频下方有一个可以跳过的问题：你在哪个区县、哪所学校？");
      })
      .catch(function () {
        /* no list, no question: the views count as 未知 */
      });
  }
  if (storedPlace()) showChosen(false);
  else if (!answered()) {
    // The player announces its first play as sunshine:play; a bare <video> only has "play",
    // which does not bubble, so it is caught on the way down.
    document.addEventListener("sunshine:play", onPlay);
    document.addEventListener("play", onPlay, true);
  }

  district.addEventListener("change", function () {
    showError(false);
    loadSchools();
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
    const first = !changing;
    close(first ? "谢谢，已记下。" : "已更改。");
    if (first) showChosen(false);
  });
  skip.addEventListener("click", function () {
    if (changing) {
      close("未更改。");
      return;
    }
    write(DISMISSED, "1");
    close("已跳过，不会再问。");
  });
}
