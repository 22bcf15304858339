// Kopā door scanner: reads ticket QR codes from the camera, asks the server
// (or, offline, the ticket list kept on this device), and shows the answer
// full-screen. Scans made offline wait in IndexedDB and are sent, with the
// time they were made, when the connection is back.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var eventId = root.dataset.event;
  var t = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var video = $("video"), canvas = $("frame"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  var lastCode = "", lastAt = 0, busy = false, detector = null, decodeQR = null;

  // ---- IndexedDB: tickets (for offline judging) and queued scans ----
  var dbp = null;
  function db() {
    if (dbp) return dbp;
    dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open("kopa-door", 1);
      req.onupgradeneeded = function () {
        var d = req.result;
        d.createObjectStore("tickets", { keyPath: "key" });
        d.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
        d.createObjectStore("meta", { keyPath: "event" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbp;
  }
  function store(name, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(name, mode), s = tx.objectStore(name), out;
        out = fn(s);
        tx.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queueCount() {
    return store("queue", "readonly", function (s) { return s.count(); }).then(function (n) {
      $("pending").textContent = n; return n;
    });
  }

  // ---- answers ----
  var colours = { ok: "ok", already: "warn", wrong_event: "bad", cancelled: "bad", waitlisted: "bad", unknown: "bad" };
  function riga(dt) {
    if (!dt) return "";
    var d = new Date(dt.replace(" ", "T"));
    try { return d.toLocaleTimeString(t.lang, { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Riga" }); }
    catch (e) { return d.toTimeString().slice(0, 5); }
  }
  function text(key, name, time) {
    return (t[key] || key).replace("{name}", name || "").replace("{time}", time || "");
  }
  function show(res, offline) {
    var key = { ok: "tOk", already: "tAlready", wrong_event: "tWrongEvent", cancelled: "tCancelled", waitlisted: "tWaitlisted", unknown: "tUnknown" }[res.result] || "tUnknown";
    var box = $("answer");
    box.className = "answer " + (colours[res.result] || "bad");
    $("answer-title").textContent = text(key, res.name, riga(res.checked_in_at));
    $("answer-detail").textContent = offline ? t.tOffline : "";
    $("answer-photo").hidden = !(res.result === "ok" || res.result === "already") || res.photo_consent !== false;
    box.hidden = false;
    box.dataset.result = res.result;
    box.dataset.shownAt = String(performance.now());
    if (res.stats) counts(res.stats);
    signal(res.result === "ok");
    $("answer-close").focus();
  }
  function counts(s) {
    $("n-in").textContent = s.checked_in;
    $("n-confirmed").textContent = s.confirmed;
    $("n-capacity").textContent = s.capacity > 0 ? s.capacity : "∞";
  }
  var audio = null;
  function signal(good) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = good ? 880 : 220;
      g.gain.value = 0.15;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (good ? 0.12 : 0.35));
    } catch (e) { /* no sound */ }
    if (navigator.vibrate) navigator.vibrate(good ? 80 : [120, 60, 120]);
  }
  $("answer-close").addEventListener("click", function () { $("answer").hidden = true; });

  // ---- talking to the server ----
  function api(method, path, body) {
    return KopaSession.token().then(function (s) {
      return fetch(path, {
        method: method, credentials: "same-origin",
        headers: { "Authorization": s.token, "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : undefined
      });
    });
  }
  function nowUTC() { return new Date().toISOString().replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1Z"); }

  function submit(code, startedAt) {
    var scan = { event: eventId, code: code, at: nowUTC() };
    return api("POST", "/api/checkin", scan).then(function (r) {
      if (r.status >= 500) throw new Error("server " + r.status);
      return r.json().then(function (j) {
        if (!r.ok) throw Object.assign(new Error("refused"), { refused: true, body: j });
        show(j, false);
        if (startedAt !== undefined) root.dataset.lastLatency = String(Math.round(performance.now() - startedAt));
        rememberLocal(code, j);
      });
    }).catch(function (err) {
      if (err && err.refused) { show({ result: "unknown" }, false); return; }
      // No connection: judge from the list on this device, and queue.
      return store("queue", "readwrite", function (s) { s.add(scan); }).then(function () {
        return judgeLocally(code).then(function (res) { show(res, true); queueCount(); });
      });
    });
  }
  function codeOf(s) {
    var m = /\/t\/([A-Za-z0-9]{24,64})/.exec(s);
    return m ? m[1] : (/^[A-Za-z0-9]{24,64}$/.test(s.trim()) ? s.trim() : "");
  }
  function judgeLocally(raw) {
    var code = codeOf(raw);
    return store("tickets", "readonly", function (s) { return s.get(eventId + ":" + code); }).then(function (tk) {
      if (!tk) return { result: "unknown" };
      if (tk.status !== "confirmed") return { result: tk.status, name: tk.name };
      if (tk.checked_in_at) return { result: "already", name: tk.name, checked_in_at: tk.checked_in_at, photo_consent: tk.photo_consent };
      tk.checked_in_at = nowUTC();
      return store("tickets", "readwrite", function (s) { s.put(tk); }).then(function () {
        return { result: "ok", name: tk.name, photo_consent: tk.photo_consent };
      });
    });
  }
  function rememberLocal(raw, res) {
    var code = codeOf(raw);
    if (!code || !res.checked_in_at) return;
    store("tickets", "readwrite", function (s) {
      var g = s.get(eventId + ":" + code);
      g.onsuccess = function () { if (g.result) { g.result.checked_in_at = res.checked_in_at; s.put(g.result); } };
    }).catch(function () {});
  }
  var syncing = false;
  function sync() {
    if (syncing || !navigator.onLine) return;
    syncing = true;
    store("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      var chain = Promise.resolve();
      items.forEach(function (it) {
        chain = chain.then(function () {
          return api("POST", "/api/checkin", { event: it.event, code: it.code, at: it.at }).then(function (r) {
            if (r.status >= 500) throw new Error("server");
            return r.json().then(function (j) {
              if (j && j.stats && it.event === eventId) counts(j.stats);
              return store("queue", "readwrite", function (s) { s.delete(it.id); });
            });
          });
        });
      });
      return chain;
    }).catch(function () {}).then(function () { syncing = false; queueCount(); });
  }
  function netState() {
    $("net").textContent = navigator.onLine ? t.tOnline : t.tOfflineState;
    $("net").className = "net " + (navigator.onLine ? "on" : "off");
    if (navigator.onLine) sync();
  }
  window.addEventListener("online", netState);
  window.addEventListener("offline", netState);
  setInterval(sync, 5000);

  // ---- camera ----
  function loadDecoder() {
    if ("BarcodeDetector" in window) {
      return BarcodeDetector.getSupportedFormats().then(function (f) {
        if (f.indexOf("qr_code") >= 0) { detector = new BarcodeDetector({ formats: ["qr_code"] }); return; }
        return loadJsQR();
      }).catch(loadJsQR);
    }
    return loadJsQR();
  }
  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/static/vendor/jsqr/jsQR.js";
      s.onload = function () { decodeQR = window.jsQR; resolve(); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function tick() {
    if (video.readyState >= 2 && !busy && $("answer").hidden) {
      var started = performance.now();
      var w = video.videoWidth, h = video.videoHeight;
      if (w && h) {
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        var found = detector
          ? detector.detect(canvas).then(function (c) { return c.length ? c[0].rawValue : ""; })
          : Promise.resolve((function () { var r = decodeQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" }); return r ? r.data : ""; })());
        busy = true;
        found.then(function (raw) {
          if (!raw) return;
          var now = Date.now();
          if (raw === lastCode && now - lastAt < 3000) return;
          lastCode = raw; lastAt = now;
          return submit(raw, started);
        }).catch(function () {}).then(function () { busy = false; });
      }
    }
    requestAnimationFrame(tick);
  }
  $("start").addEventListener("click", function () {
    $("start").hidden = true;
    decoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () { root.dataset.camera = "on"; requestAnimationFrame(tick); })
      .catch(function () { $("camera-msg").textContent = t.tCameraError; $("start").hidden = false; });
  });

  // ---- manual search and walk-in ----
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("q").value.trim();
    if (q.length < 2) return;
    api("GET", "/api/events/" + eventId + "/search?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (j) {
      var ul = $("results");
      ul.textContent = "";
      (j.items || []).forEach(function (m) {
        var li = document.createElement("li");
        var label = document.createElement("span");
        label.textContent = m.name + (m.email ? " · " + m.email : "") + (m.checked_in_at ? " ✓ " + riga(m.checked_in_at) : "");
        var b = document.createElement("button");
        b.type = "button"; b.textContent = t.tCheckIn;
        b.addEventListener("click", function () {
          api("POST", "/api/checkin", { event: eventId, registration: m.registration }).then(function (r) { return r.json(); }).then(function (res) { show(res, false); });
        });
        li.appendChild(label); li.appendChild(b); ul.appendChild(li);
      });
      if (!j.items || !j.items.length) { var li = document.createElement("li"); li.textContent = t.tNoneFound; ul.appendChild(li); }
    });
  });
  $("walkin-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var o = $("w-override");
    api("POST", "/api/events/" + eventId + "/walkin", { name: $("w-name").value, email: $("w-email").value, override: !!(o && o.checked) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (x) {
        if (x.ok) { show(x.j, false); ev.target.reset(); }
        else if (x.j.data && x.j.data.code === "full") { alert(t.tFull); }
        else { alert(t.tError); }
      });
  });

  // ---- offline preparation ----
  // Preparing for offline use: the ticket list into IndexedDB, the decoder
  // loaded now (it cannot be fetched once the connection is gone), and the
  // service worker installed with its cache of this page's files.
  var decoderReady = null;
  function decoder() {
    return decoderReady || (decoderReady = loadDecoder().catch(function (e) { decoderReady = null; throw e; }));
  }
  function workerReady() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    var reg = navigator.serviceWorker.register("/manage/scan-sw.js", { scope: "/manage/" });
    var ready = reg.then(function () { return navigator.serviceWorker.ready; });
    var timeout = new Promise(function (resolve) { setTimeout(resolve, 5000); });
    return Promise.race([ready, timeout]).catch(function () {});
  }
  $("prepare").addEventListener("click", function () {
    var list = api("GET", "/api/events/" + eventId + "/tickets").then(function (r) { return r.json(); }).then(function (j) {
      return store("tickets", "readwrite", function (s) {
        (j.tickets || []).forEach(function (tk) { tk.key = eventId + ":" + tk.code; s.put(tk); });
      }).then(function () {
        return store("meta", "readwrite", function (s) { s.put({ event: eventId, ends_at: j.ends_at }); });
      }).then(function () { return (j.tickets || []).length; });
    });
    Promise.all([list, decoder(), workerReady()]).then(function (r) {
      $("prepared").textContent = t.tPrepared.replace("{n}", r[0]);
      root.dataset.prepared = "1";
    }).catch(function () { $("prepared").textContent = t.tError; });
  });
  // Forget ticket lists of events that have ended.
  store("meta", "readonly", function (s) { return s.getAll(); }).then(function (metas) {
    var now = Date.now();
    metas.forEach(function (m) {
      if (m.ends_at && new Date(m.ends_at.replace(" ", "T")).getTime() < now) {
        store("tickets", "readwrite", function (s) {
          var c = s.openCursor();
          c.onsuccess = function () { var cur = c.result; if (!cur) return; if (cur.value.key.indexOf(m.event + ":") === 0) cur.delete(); cur.continue(); };
        });
        store("meta", "readwrite", function (s) { s.delete(m.event); });
      }
    });
  }).catch(function () {});

  // ---- live counts from the hub ----
  function live() {
    KopaSession.token().then(function (s) {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/live?event=" + encodeURIComponent(eventId));
      ws.onopen = function () { ws.send(JSON.stringify({ type: "auth", token: s.token })); };
      ws.onmessage = function (m) { try { var j = JSON.parse(m.data); if (j.stats) counts(j.stats); } catch (e) {} };
      ws.onclose = function () { setTimeout(live, 5000); };
    }).catch(function () { setTimeout(live, 10000); });
  }
  netState();
  queueCount();
  live();
})();
