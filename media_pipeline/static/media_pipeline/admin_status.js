// Keeps every video status on an admin page live: polls the small status endpoint while any
// video is busy, and sends "重新处理" (re-queue) as a POST.
const BUSY = { uploaded: 1, probing: 1, transcoding: 1 };
const POLL_MS = 3000;

function csrf() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function widgets() {
  return Array.prototype.slice.call(document.querySelectorAll("[data-video-status]"));
}

function render(el, v) {
  el.dataset.status = v.status;
  el.querySelector(".sunshine-video-status__text").textContent = v.status_text;
  const bar = el.querySelector(".sunshine-video-status__bar");
  bar.value = v.progress;
  bar.textContent = v.progress + "%";
  bar.hidden = v.status !== "transcoding" || v.stalled;
  el.querySelector(".sunshine-video-status__requeue").hidden = !v.can_requeue;
}

function poll() {
  const els = widgets();
  const busy = els.filter(function (el) {
    return BUSY[el.dataset.status];
  });
  if (!busy.length) return;
  const ids = busy
    .map(function (el) {
      return el.dataset.videoStatus;
    })
    .join(",");
  fetch(busy[0].dataset.statusUrl + "?ids=" + ids, { credentials: "same-origin" })
    .then(function (r) {
      return r.ok ? r.json() : null;
    })
    .then(function (data) {
      if (!data) return;
      data.videos.forEach(function (v) {
        els.forEach(function (el) {
          if (el.dataset.videoStatus === String(v.id)) render(el, v);
        });
      });
    })
    .catch(function () {})
    .then(function () {
      setTimeout(poll, POLL_MS);
    });
}

document.addEventListener("click", function (event) {
  const button = event.target.closest(".sunshine-video-status__requeue");
  if (!button) return;
  const el = button.closest("[data-video-status]");
  button.disabled = true;
  fetch(el.dataset.requeueUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
  })
    .then(function (r) {
      return r.json();
    })
    .then(function (v) {
      if (v.error) {
        el.querySelector(".sunshine-video-status__text").textContent = v.error;
        return;
      }
      render(el, v);
      setTimeout(poll, POLL_MS);
    })
    .catch(function () {
      el.querySelector(".sunshine-video-status__text").textContent = "网络错误，请稍后再试";
    })
    .then(function () {
      button.disabled = false;
    });
});

function start() {
  setTimeout(poll, POLL_MS);
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
