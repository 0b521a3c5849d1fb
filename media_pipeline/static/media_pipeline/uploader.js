// The resumable video uploader in the admin. Local storage: PATCH chunks with Upload-Offset.
// S3: PUT parts straight to presigned URLs (the bytes never touch the app server).
// The session id is kept in localStorage per file, so choosing the same file again after a
// dropped connection or a closed tab continues where the server says it stopped.
const root = document.querySelector(".sunshine-uploader");
if (root) uploader(root);

function uploader(root) {
  const $ = function (sel) {
    return root.querySelector(sel);
  };
  const fileInput = $(".sunshine-uploader__file");
  const titleInput = $(".sunshine-uploader__title");
  const startButton = $(".sunshine-uploader__start");
  const cancelButton = $(".sunshine-uploader__cancel");
  const bar = $(".sunshine-uploader__bar");
  const message = $(".sunshine-uploader__message");
  const result = $(".sunshine-uploader__result");
  let cancelled = false;
  const PARALLEL_PARTS = 3;

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function say(text) {
    message.textContent = text;
  }
  function sleep(ms) {
    return new Promise(function (r) {
      setTimeout(r, ms);
    });
  }
  function keyFor(file) {
    return "sunshine:upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }
  function showProgress(done, total) {
    bar.hidden = false;
    bar.value = total ? Math.floor((done / total) * 100) : 0;
    say(
      "已上传 " +
        (done / 1048576).toFixed(1) +
        " / " +
        (total / 1048576).toFixed(1) +
        " MB（" +
        bar.value +
        "%）",
    );
  }

  function api(method, url, body, headers) {
    const init = {
      method: method,
      credentials: "same-origin",
      headers: Object.assign({ "X-CSRFToken": csrf(), Accept: "application/json" }, headers || {}),
    };
    if (body !== undefined) {
      if (body instanceof Blob) init.body = body;
      else {
        init.body = JSON.stringify(body);
        init.headers["Content-Type"] = "application/json";
      }
    }
    return fetch(url, init).then(function (r) {
      return r
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          data._status = r.status;
          return data;
        });
    });
  }

  // Network failures are retried with growing waits; a clear refusal (4xx) stops the upload.
  function withRetry(fn) {
    let wait = 1000;
    function attempt() {
      return fn().catch(function (err) {
        if (cancelled || (err && err.fatal)) throw err;
        say("网络中断，" + Math.round(wait / 1000) + " 秒后自动重试…");
        return sleep(wait).then(function () {
          wait = Math.min(wait * 2, 30000);
          return attempt();
        });
      });
    }
    return attempt();
  }
  function fatal(text) {
    const e = new Error(text);
    e.fatal = true;
    return e;
  }

  function openSession(file) {
    const key = keyFor(file);
    const saved = localStorage.getItem(key);
    const resume = saved ? api("GET", saved) : Promise.resolve({ _status: 404 });
    return resume.then(function (s) {
      if (s._status === 200 && s.status === "active") {
        say("找到未完成的上传，从中断处继续…");
        return s;
      }
      return api("POST", root.dataset.createUrl, {
        filename: file.name,
        size: file.size,
        content_type: file.type,
        title: titleInput.value.trim(),
      }).then(function (s) {
        if (s._status !== 201) throw fatal(s.error || "无法开始上传");
        localStorage.setItem(key, s.url);
        return s;
      });
    });
  }

  function uploadLocal(file, s) {
    let offset = s.offset;
    function next() {
      if (cancelled) throw fatal("已取消");
      showProgress(offset, file.size);
      if (offset >= file.size) return Promise.resolve();
      const chunk = file.slice(offset, Math.min(offset + s.part_size, file.size));
      return withRetry(function () {
        return api("PATCH", s.url, chunk, {
          "Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream",
        }).then(function (r) {
          if (r._status === 200) {
            offset = r.offset;
            return;
          }
          if (r._status === 409 && typeof r.offset === "number") {
            offset = r.offset;
            return;
          }
          if (r._status >= 400 && r._status < 500) throw fatal(r.error || "上传被拒绝");
          throw new Error(r.error || "服务器暂时不可用");
        });
      }).then(next);
    }
    return next();
  }

  function uploadS3(file, s) {
    const have = {};
    let done = 0;
    (s.parts || []).forEach(function (p) {
      have[p.number] = true;
      done += p.size;
    });
    const todo = [];
    for (let n = 1; n <= s.part_count; n++) if (!have[n]) todo.push(n);
    showProgress(done, file.size);
    function putPart(number) {
      const start = (number - 1) * s.part_size;
      const blob = file.slice(start, Math.min(start + s.part_size, file.size));
      return withRetry(function () {
        return api("POST", s.parts_url, { parts: [number] })
          .then(function (r) {
            if (r._status !== 200) throw r._status < 500 ? fatal(r.error) : new Error(r.error);
            return fetch(r.urls[String(number)], { method: "PUT", body: blob });
          })
          .then(function (r) {
            if (!r.ok) throw new Error("S3 " + r.status);
          });
      }).then(function () {
        done += blob.size;
        showProgress(done, file.size);
      });
    }
    function worker() {
      if (cancelled) return Promise.reject(fatal("已取消"));
      const number = todo.shift();
      return number ? putPart(number).then(worker) : Promise.resolve();
    }
    const workers = [];
    for (let i = 0; i < PARALLEL_PARTS; i++) workers.push(worker());
    return Promise.all(workers);
  }

  function complete(file, s) {
    say("上传完成，正在校验文件…");
    return withRetry(function () {
      return api("POST", s.complete_url).then(function (r) {
        if (r._status === 201 || (r._status === 200 && r.video)) return r;
        if (r._status >= 400 && r._status < 500) throw fatal(r.error || "文件校验失败");
        throw new Error(r.error);
      });
    }).then(function (r) {
      localStorage.removeItem(keyFor(file));
      say("上传成功，视频已进入处理队列。");
      result.innerHTML = "";
      const link = document.createElement("a");
      link.href = r.edit_url || root.dataset.listUrl;
      link.className = "button";
      link.textContent = "查看处理进度";
      result.appendChild(link);
    });
  }

  startButton.addEventListener("click", function () {
    const file = fileInput.files[0];
    if (!file) {
      say("请先选择视频文件。");
      return;
    }
    cancelled = false;
    startButton.disabled = true;
    cancelButton.hidden = false;
    openSession(file)
      .then(function (s) {
        return (s.mode === "s3" ? uploadS3(file, s) : uploadLocal(file, s)).then(function () {
          return complete(file, s);
        });
      })
      .catch(function (err) {
        say(err.message || "上传失败");
        if (err.fatal && !cancelled) localStorage.removeItem(keyFor(file));
      })
      .then(function () {
        startButton.disabled = false;
        cancelButton.hidden = true;
      });
  });

  cancelButton.addEventListener("click", function () {
    cancelled = true;
    const file = fileInput.files[0];
    const saved = file && localStorage.getItem(keyFor(file));
    if (saved) {
      api("DELETE", saved);
      localStorage.removeItem(keyFor(file));
    }
    say("已取消上传。");
  });
}
