/* The one-time district/school picker (see templates/analytics/attribution_picker.html).
 * Writes the same localStorage entry as share links: {"district", "school", "via": "picker"}. */
(function () {
  "use strict";
  var KEY = "sunshine:attribution";
  var DISMISSED = "sunshine:attribution-dismissed";
  var picker = document.getElementById("sunshine-picker");
  if (!picker) return;

  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return "unavailable"; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* nothing to remember with */ }
  }
  // Only video pages ask (the player, not the beacon's own script tag), and only once.
  if (!document.querySelector("video, :not(script)[data-page-id]")) return;
  if (read(KEY) || read(DISMISSED)) return;

  var url = picker.getAttribute("data-places-url");
  var district = document.getElementById("sunshine-picker-district");
  var school = document.getElementById("sunshine-picker-school");

  function fill(select, items, keepFirst) {
    while (select.options.length > (keepFirst ? 1 : 0)) select.remove(select.options.length - 1);
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

  load("").then(function (data) {
    fill(district, data.districts, true);
    picker.hidden = false;
  }).catch(function () { /* no picker without the list; views count as 未知 */ });

  district.addEventListener("change", function () {
    fill(school, [], true);
    school.disabled = true;
    if (!district.value) return;
    load("?district=" + encodeURIComponent(district.value)).then(function (data) {
      fill(school, data.schools, true);
      school.disabled = data.schools.length === 0;
    }).catch(function () {});
  });

  picker.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!district.value) { district.focus(); return; }
    write(KEY, JSON.stringify({ district: district.value, school: school.value || null, via: "picker" }));
    picker.hidden = true;
  });
  picker.querySelector("[data-picker-skip]").addEventListener("click", function () {
    write(DISMISSED, "1");
    picker.hidden = true;
  });
})();
