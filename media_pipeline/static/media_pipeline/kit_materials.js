// A kit's materials on a phone: previews shown in the page, and downloads that work from WeChat.
//
// - "预览" opens the material's page images under it (asked as JSON from the preview view, which
//   applies the download rule); without JavaScript the link opens the preview page itself.
// - Inside WeChat's in-app browser (user agent "MicroMessenger"), which opens no downloaded file,
//   a download shows how to open the page in the system browser and a button that copies the
//   link (Clipboard API, else the old execCommand, else "长按复制").

const IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent);
const POLL_MS = 3000;
const MAX_POLLS = 60;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// -- previews in the page --------------------------------------------------------------------

function showPages(panel, data, title, pageUrl) {
  panel.replaceChildren();
  const note = element("p", "material-preview__note", `共 ${data.total_pages} 页`);
  if (data.total_pages > data.pages.length) {
    note.textContent += `，这里预览前 ${data.pages.length} 页`;
  }
  note.textContent += "。";
  const open = element("a", "", "在新页面查看");
  open.href = pageUrl;
  note.append(" ", open);
  const list = element("ol", "material-preview__pages");
  data.pages.forEach(function (url, index) {
    const item = element("li");
    const image = element("img");
    image.src = url;
    image.alt = `${title} 第 ${index + 1} 页`;
    image.loading = index === 0 ? "eager" : "lazy";
    if (data.width && data.height) {
      image.width = data.width;
      image.height = data.height;
    }
    item.append(image);
    list.append(item);
  });
  panel.append(note, list);
}

function loadPreview(link, panel, polls) {
  fetch(link.href, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (response.status === 401) {
        window.location.href = link.href; // the login page, then back here
        return null;
      }
      return response.json();
    })
    .then(function (data) {
      if (!data) return;
      if (data.error) {
        panel.replaceChildren(element("p", "notice", data.error));
      } else if (data.status === "ready") {
        showPages(panel, data, link.dataset.previewTitle, link.href);
      } else {
        panel.replaceChildren(element("p", "notice", data.message));
        if (data.status === "building" && polls < MAX_POLLS) {
          setTimeout(function () {
            if (link.getAttribute("aria-expanded") === "true") loadPreview(link, panel, polls + 1);
          }, POLL_MS);
        }
      }
    })
    .catch(function () {
      panel.replaceChildren(element("p", "notice", "网络错误，预览没有打开，请稍后再试。"));
    });
}

function togglePreview(link) {
  const item = link.closest("li");
  let panel = item.querySelector(".inline-preview");
  if (link.getAttribute("aria-expanded") === "true") {
    link.setAttribute("aria-expanded", "false");
    panel.hidden = true;
    return;
  }
  if (!panel) {
    panel = element("div", "inline-preview");
    panel.id = `preview-${Math.random().toString(36).slice(2)}`;
    panel.setAttribute("role", "region");
    panel.setAttribute("aria-label", `预览：${link.dataset.previewTitle}`);
    panel.append(element("p", "notice", "正在打开预览…"));
    item.append(panel);
    link.setAttribute("aria-controls", panel.id);
  }
  panel.hidden = false;
  link.setAttribute("aria-expanded", "true");
  loadPreview(link, panel, 0);
}

// -- downloads inside WeChat -------------------------------------------------------------------

function copyLink(input, status) {
  const done = function () {
    status.textContent = "链接已复制，请粘贴到浏览器中打开。";
  };
  const fallback = function () {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length); // iOS selects nothing with select() alone
    let copied;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    if (copied) done();
    else status.textContent = "无法自动复制，请长按上面的链接，选择“复制”。";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, fallback);
  } else {
    fallback();
  }
}

function showWeChatHelp(url) {
  const dialog = document.getElementById("wechat-help");
  if (!dialog) return false;
  const input = dialog.querySelector(".wechat-help__link");
  const status = dialog.querySelector(".wechat-help__status");
  input.value = url;
  status.textContent = "";
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  return true;
}

function wireWeChatDialog() {
  const dialog = document.getElementById("wechat-help");
  if (!dialog) return;
  const input = dialog.querySelector(".wechat-help__link");
  const status = dialog.querySelector(".wechat-help__status");
  dialog.querySelector("[data-wechat-copy]").addEventListener("click", function () {
    copyLink(input, status);
  });
  dialog.querySelector("[data-wechat-close]").addEventListener("click", function () {
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
  });
}

// Capture phase: before the "下载全部" script (kit_bundle.js) starts a download WeChat would drop.
document.addEventListener(
  "click",
  function (event) {
    const preview = event.target.closest("a[data-preview-title]");
    if (preview) {
      event.preventDefault();
      togglePreview(preview);
      return;
    }
    if (!IN_WECHAT) return;
    const download = event.target.closest("a[data-file-download], a.kit-bundle__button");
    if (download && showWeChatHelp(download.href)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true,
);

wireWeChatDialog();
