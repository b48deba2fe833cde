// Evidence upload: drag and drop, an optional SHA-256 computed in the
// browser before sending, and resumable sending over tus (tus-js-client),
// with a progress bar per file. Without this script (or without tus support
// in the browser) the form still posts the file the plain way.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.tus || !window.tus.isSupported) {
    return;
  }
  var input = document.getElementById("f-file");
  var zone = document.getElementById("dropzone");
  var queue = document.getElementById("upload-queue");
  var submit = document.getElementById("upload-submit");
  var hashBox = document.getElementById("f-hash");
  var problem = document.getElementById("upload-problem");
  var msg = document.getElementById("upload-messages").dataset;
  var endpoint = form.dataset.endpoint;
  var hashSlice = 8 << 20;
  var files = [];
  var busy = false;

  form.classList.add("upload--enhanced");

  // say fills a message's {placeholders}.
  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function number(n) {
    return new Intl.NumberFormat(document.documentElement.lang).format(n);
  }

  function size(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1000 && i < units.length - 1) {
      bytes /= 1000;
      i++;
    }
    var n = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(bytes);
    return n + "\u00a0" + units[i];
  }

  function showProblem(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function choose(list) {
    if (busy) {
      return;
    }
    files = Array.prototype.slice.call(list);
    showProblem("");
    queue.textContent = "";
    files.forEach(function (file) {
      file.row = row(file);
      queue.appendChild(file.row.li);
    });
    zone.classList.toggle("dropzone--chosen", files.length > 0);
  }

  // row makes a file's line in the queue: its name, size, progress bar and
  // status.
  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("bdi");
    name.className = "upload-item__name";
    name.textContent = file.name;
    var bytes = document.createElement("span");
    bytes.className = "upload-item__size muted";
    bytes.textContent = size(file.size);
    var bar = document.createElement("progress");
    bar.className = "upload-item__bar";
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "upload-item__status";
    status.textContent = msg.waiting;
    var hash = document.createElement("code");
    hash.className = "upload-item__hash hash";
    li.append(name, bytes, bar, status, hash);
    return {
      li: li,
      bar: bar,
      status: status,
      hash: hash,
      set: function (percent, text, state) {
        if (percent === null) {
          bar.removeAttribute("value");
        } else {
          bar.value = percent;
        }
        status.textContent = text;
        li.dataset.state = state || "";
      },
    };
  }

  // metadata gathers the form's fields for the upload's metadata.
  function metadata(file) {
    var meta = { filename: file.name, filetype: file.type || "" };
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "" && key !== "file" && key !== "hash") {
        // Several values (categories) travel comma-separated.
        meta[key] = key in meta ? meta[key] + "," + value : value;
      }
    });
    if (!meta.filetype) {
      delete meta.filetype;
    }
    return meta;
  }

  // digest computes a file's SHA-256, reading it a slice at a time so that
  // memory stays small whatever the file's size.
  function digest(file, onProgress) {
    return window.hashwasm.createSHA256().then(function (hasher) {
      hasher.init();
      var offset = 0;
      function next() {
        if (offset >= file.size) {
          return hasher.digest("hex");
        }
        var end = Math.min(offset + hashSlice, file.size);
        return file.slice(offset, end).arrayBuffer().then(function (buf) {
          hasher.update(new Uint8Array(buf));
          offset = end;
          onProgress(offset, file.size);
          return next();
        });
      }
      return next();
    });
  }

  // explain turns a tus error into a sentence for the person uploading.
  function explain(err) {
    var res = err && err.originalResponse;
    if (res && res.getStatus() >= 400 && res.getStatus() < 500) {
      var body = (res.getBody() || "").trim();
      var cut = body.indexOf(": ");
      if (/^ERR_[A-Z_]+: /.test(body)) {
        body = body.slice(cut + 2);
      }
      if (res.getStatus() === 460) {
        return say(msg.mismatch, { detail: body });
      }
      return say(msg.refused, { detail: body });
    }
    return msg.failed;
  }

  function send(file, meta) {
    var r = file.row;
    return new Promise(function (resolve, reject) {
      var upload = new window.tus.Upload(file, {
        endpoint: endpoint,
        chunkSize: Number(form.dataset.chunkSize) || Infinity,
        metadata: meta,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        // The same file sent again for another incident or type is another
        // upload: the fingerprint says so.
        fingerprint: function (f) {
          return Promise.resolve(["dossier", endpoint, f.name, f.type, f.size, f.lastModified,
            meta.incident || "", meta.type || "", meta.sha256 || ""].join("|"));
        },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          var percent = total ? Math.floor((sent / total) * 100) : 100;
          r.set(percent, say(msg.uploading, { percent: number(percent), sent: size(sent), total: size(total) }), "uploading");
          if (sent === total) {
            r.set(100, msg.storing, "storing");
          }
        },
        onSuccess: function (payload) {
          resolve(payload.lastResponse.getHeader("Dossier-Location"));
        },
        onError: reject,
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length > 0) {
          upload.resumeFromPreviousUpload(previous[0]);
          r.set(0, msg.resuming, "uploading");
        }
        upload.start();
      }, reject);
    });
  }

  function process(file) {
    var r = file.row;
    var meta = metadata(file);
    var hashing = Promise.resolve();
    if (hashBox && hashBox.checked) {
      r.set(0, say(msg.hashing, { percent: number(0) }), "hashing");
      hashing = digest(file, function (done, total) {
        var percent = total ? Math.floor((done / total) * 100) : 100;
        r.set(percent, say(msg.hashing, { percent: number(percent) }), "hashing");
      }).then(function (sum) {
        meta.sha256 = sum;
        r.li.dataset.sha256 = sum;
        r.hash.textContent = "SHA-256 " + sum;
      }, function () {
        // WebAssembly refused or unavailable: the server hashes the file
        // anyway; only the check against the browser's own hash is lost.
        r.set(0, msg.nohash, "uploading");
      });
    }
    return hashing.then(function () {
      return send(file, meta);
    }).then(function (location) {
      r.set(100, msg.done, "done");
      if (location) {
        var a = document.createElement("a");
        a.href = location;
        a.textContent = msg.open;
        r.status.append(" ", a);
      }
      return location;
    }, function (err) {
      r.set(0, explain(err), "failed");
      throw err;
    });
  }

  function warnBeforeLeaving(e) {
    e.preventDefault();
    e.returnValue = "";
  }

  zone.addEventListener("dragenter", function (e) {
    e.preventDefault();
    zone.classList.add("dropzone--over");
  });
  zone.addEventListener("dragover", function (e) {
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dropzone--over");
  });
  zone.addEventListener("dragleave", function (e) {
    if (!zone.contains(e.relatedTarget)) {
      zone.classList.remove("dropzone--over");
    }
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("dropzone--over");
    if (e.dataTransfer && e.dataTransfer.files.length) {
      choose(e.dataTransfer.files);
    }
  });
  input.addEventListener("change", function () {
    choose(input.files);
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (busy) {
      return;
    }
    if (files.length === 0) {
      showProblem(msg.nofile);
      input.focus();
      return;
    }
    if (!form.reportValidity()) {
      return;
    }
    busy = true;
    submit.disabled = true;
    showProblem("");
    window.addEventListener("beforeunload", warnBeforeLeaving);
    var locations = [];
    var failures = 0;
    files.reduce(function (previous, file) {
      return previous.then(function () {
        return process(file).then(function (location) {
          locations.push(location);
        }, function () {
          failures++;
        });
      });
    }, Promise.resolve()).then(function () {
      busy = false;
      submit.disabled = false;
      window.removeEventListener("beforeunload", warnBeforeLeaving);
      if (failures === 0 && locations.length === 1 && locations[0]) {
        window.location.assign(locations[0]);
        return;
      }
      if (failures > 0) {
        showProblem(msg.someFailed);
      }
      form.dataset.finished = "true";
    });
  });
})();
