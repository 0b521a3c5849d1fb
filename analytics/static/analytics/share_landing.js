// The page a share link or QR poster opens (templates/analytics/share_landing.html): keeps
// where the child came from on this device, then goes on to the lesson. Kept on this device
// only (first-party localStorage); the server keeps nothing about who opened the link. The
// newest link or poster wins.
const script = document.querySelector("script[data-storage-key]");
const data = JSON.parse(document.getElementById("sunshine-attribution").textContent);
if (data && script) {
  try {
    localStorage.setItem(script.dataset.storageKey, JSON.stringify(data));
  } catch {
    /* private mode or storage full: continue without attribution */
  }
}
location.replace(document.getElementById("continue").getAttribute("href"));
