// Kopā door scanner: reads ticket QR codes from the camera, asks the server
// (or, offline, the ticket list kept on this device), and shows the answer
// full-screen. Scans made offline wait in IndexedDB (they survive closing
// the tab) and are sent, with the time they were made, when the connection
// is back; the server's answers then replace the local judgments.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var eventId = root.dataset.event;
  var t = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var video = $("video"), canvas = $("frame"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null, decodeQR = null, busy = false;
  var CACHE = "kopa-scanner-v2"; // the service worker's cache (scan-sw.js)

  // ---- IndexedDB: tickets (to judge offline), queued scans, lists kept ----
  var dbp = null;
  function db() {
    if (dbp) return dbp;
    dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open("kopa-door", 2);
      req.onupgradeneeded = function (ev) {
        var d = req.result;
        // Version 1 kept ticket codes; version 2 keeps only their hashes.
        if (ev.oldVersion >= 1) { d.deleteObjectStore("tickets"); d.deleteObjectStore("meta"); }
        d.createObjectStore("tickets", { keyPath: "key" });
        d.createObjectStore("meta", { keyPath: "event" });
        if (!d.objectStoreNames.contains("queue")) d.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbp;
  }
  // store runs fn on one object store in a transaction and resolves with
  // the result of the request fn returns (if any) once it has committed.
  function store(name, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(name, mode), out = fn(tx.objectStore(name));
        tx.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function queueCount() {
    return store("queue", "readonly", function (s) { return s.count(); }).then(function (n) {
      $("pending").textContent = n;
      $("pending-wrap").className = n > 0 ? "waiting" : "";
      return n;
    }).catch(function () { return 0; });
  }

  // ---- the answer on screen ----
  var colours = { ok: "ok", already: "warn", wrong_event: "bad", cancelled: "bad", waitlisted: "bad", unknown: "bad", forbidden: "bad" };
  var keys = { ok: "tOk", already: "tAlready", wrong_event: "tWrongEvent", cancelled: "tCancelled", waitlisted: "tWaitlisted", unknown: "tUnknown", forbidden: "tForbidden" };
  function riga(dt) {
    if (!dt) return "";
    var d = new Date(dt.replace(" ", "T"));
    try { return d.toLocaleTimeString(t.lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Europe/Riga" }); }
    catch (e) { return d.toTimeString().slice(0, 5); }
  }
  function text(key, name, time) {
    return (t[key] || key).replace("{name}", name || "").replace("{time}", time || "");
  }
  function describe(res) {
    if (res.event_cancelled) return text("tEventCancelled", res.name);
    return text(keys[res.result] || "tUnknown", res.name, riga(res.checked_in_at));
  }
  var hideTimer = 0;
  function hideAnswer() { clearTimeout(hideTimer); $("answer").hidden = true; }
  // show fills the screen with an answer. It goes away by itself (a queue
  // is waiting), sooner for a welcome than for a problem, or with a tap.
  function show(res, detail) {
    var box = $("answer");
    box.className = "answer " + (colours[res.result] || "bad");
    $("answer-title").textContent = describe(res);
    $("answer-detail").textContent = detail || "";
    $("answer-photo").hidden = !(res.result === "ok" || res.result === "already") || res.photo_consent !== false;
    box.dataset.result = res.result;
    box.hidden = false;
    if (res.stats) counts(res.stats);
    signal(res.result === "ok");
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideAnswer, res.result === "ok" ? 2500 : 6000);
  }
  function counts(s) {
    $("n-in").textContent = s.checked_in;
    $("n-confirmed").textContent = s.confirmed;
    $("n-capacity").textContent = s.capacity > 0 ? s.capacity : "∞";
  }
  // The audio context is made on the tap that starts the camera: phones
  // let a page make sound only after a gesture, and making it costs a
  // moment that should not delay the first answer.
  var audio = null;
  function sound() {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* no sound */ }
  }
  function signal(good) {
    try {
      if (!audio) return;
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = good ? 880 : 220;
      g.gain.value = 0.15;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (good ? 0.12 : 0.35));
    } catch (e) { /* no sound */ }
    try { if (navigator.vibrate) navigator.vibrate(good ? 80 : [120, 60, 120]); } catch (e) { /* not allowed */ }
  }
  $("answer").addEventListener("click", hideAnswer);

  // ---- talking to the server ----
  // api resolves with the response, or rejects when there is no
  // connection. A 401 asks the session for a fresh token once.
  function api(method, path, body, retried) {
    return KopaSession.token(!!retried).catch(function (err) {
      // The server answered but will not give a token: the sign-in has
      // ended (or this page is an old copy). Scans keep being queued.
      if (/^session /.test(err && err.message)) $("session-msg").hidden = false;
      throw err;
    }).then(function (s) {
      $("session-msg").hidden = true;
      return fetch(path, {
        method: method, credentials: "same-origin",
        headers: { "Authorization": s.token, "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : undefined
      });
    }).then(function (r) {
      if (r.status === 401 && !retried) return api(method, path, body, true);
      return r;
    });
  }
  function nowUTC() { return new Date().toISOString().replace("T", " "); }

  // checkIn sends a scan (scan.code) or a manual check-in (scan.registration)
  // and shows the answer; without a connection (or with a server in
  // trouble) the scan is judged from this device's list and queued.
  function checkIn(scan, startedAt) {
    var at = nowUTC();
    return api("POST", "/api/checkin", scan).then(function (r) {
      if (r.status === 401 || r.status >= 500) throw new Error("server " + r.status);
      return r.json().then(function (j) {
        if (r.ok) {
          show(j);
          remember(scan, j);
        } else if (r.status === 403) {
          show({ result: "forbidden" });
        } else {
          show({ result: "unknown" });
        }
        return painted(startedAt);
      });
    }).catch(function () {
      return judgeLocally(scan).then(function (res) {
        var item = { event: eventId, at: at, local: res.result, name: res.name || "" };
        if (scan.code) item.code = scan.code;
        if (scan.registration) { item.registration = scan.registration; item.method = "manual"; }
        return store("queue", "readwrite", function (s) { s.add(item); }).then(function () {
          show(res, t.tOffline);
          queueCount();
          return painted(startedAt);
        });
      });
    });
  }
  // painted resolves once the answer is on screen, and records, for the
  // browser test and for curious door staff, how long it took from the
  // camera frame to there.
  function painted(startedAt) {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          if (startedAt !== undefined) root.dataset.lastLatency = String(Math.round(performance.now() - startedAt));
          resolve();
        });
      });
    });
  }

  // ---- the ticket list kept on this device ----
  function codeOf(s) {
    var m = /\/t\/([A-Za-z0-9]{24,64})(?:[/?#]|$)/.exec(s);
    if (m) return m[1];
    s = s.trim();
    return /^[A-Za-z0-9]{24,64}$/.test(s) ? s : "";
  }
  // The device keeps SHA-256 hashes of the ticket codes, never the codes.
  function hashOf(code) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(code)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }
  function allTickets() {
    return store("tickets", "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (tk) { return tk.key.indexOf(eventId + ":") === 0; });
    });
  }
  function ticketFor(scan) {
    if (scan.registration) {
      return allTickets().then(function (all) {
        return all.filter(function (tk) { return tk.registration === scan.registration; })[0] || null;
      });
    }
    var code = codeOf(scan.code || "");
    if (!code || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    return hashOf(code).then(function (h) {
      return store("tickets", "readonly", function (s) { return s.get(eventId + ":" + h); });
    }).then(function (tk) { return tk || null; });
  }
  function judgeLocally(scan) {
    return ticketFor(scan).catch(function () { return null; }).then(function (tk) {
      if (!tk) return { result: "unknown" };
      // The event was cancelled (as this page was loaded, or as the list
      // was kept): nobody is let in on its tickets.
      if (tk.status === "confirmed" && (root.dataset.eventCancelled || tk.event_cancelled)) return { result: "cancelled", event_cancelled: true, name: tk.name };
      if (tk.status !== "confirmed") return { result: tk.status, name: tk.name };
      if (tk.checked_in_at) return { result: "already", name: tk.name, checked_in_at: tk.checked_in_at, photo_consent: tk.photo_consent };
      tk.checked_in_at = nowUTC();
      return store("tickets", "readwrite", function (s) { s.put(tk); }).then(function () {
        return { result: "ok", name: tk.name, photo_consent: tk.photo_consent };
      });
    });
  }
  // remember keeps the server's check-in time in the local list, so a scan
  // of the same ticket after the connection drops is judged right.
  function remember(scan, res) {
    if (!res.checked_in_at) return Promise.resolve();
    return ticketFor(scan).then(function (tk) {
      if (!tk || tk.checked_in_at === res.checked_in_at) return;
      tk.checked_in_at = res.checked_in_at;
      return store("tickets", "readwrite", function (s) { s.put(tk); });
    }).catch(function () {});
  }

  // ---- sending what was scanned offline ----
  var syncing = false;
  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    return store("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      var chain = Promise.resolve();
      (items || []).forEach(function (it) {
        chain = chain.then(function () { return send(it); });
      });
      return chain;
    }).catch(function () { /* still offline: try again later */ }).then(function () {
      syncing = false;
      return queueCount();
    });
  }
  // send sends one queued scan. The answer replaces the local judgment; a
  // scan the server refuses for good (a malformed one) is dropped, one it
  // cannot take now (no connection, no session, a shift not yet synced) stays.
  function send(it) {
    var body = { event: it.event, at: it.at, method: it.method || "qr" };
    if (it.code) body.code = it.code; else body.registration = it.registration;
    return api("POST", "/api/checkin", body).then(function (r) {
      if (r.status !== 200 && r.status !== 400 && r.status !== 404) throw new Error("not now: " + r.status);
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 200) {
          if (j.stats && it.event === eventId) counts(j.stats);
          if (it.event === eventId) remember(it, j);
          if (j.result !== it.local) note(t.tSynced.replace("{answer}", describe({ result: j.result, name: j.name || it.name, checked_in_at: j.checked_in_at })));
        } else {
          note(t.tNotAccepted.replace("{name}", it.name || "?"));
        }
        return store("queue", "readwrite", function (s) { s.delete(it.id); });
      });
    });
  }
  // note lists what the server answered differently from this device.
  function note(msg) {
    var li = document.createElement("li");
    li.textContent = msg;
    $("synced").insertBefore(li, $("synced").firstChild);
    $("synced-wrap").hidden = false;
  }
  function netState() {
    $("net").textContent = navigator.onLine ? t.tOnline : t.tOfflineState;
    $("net").className = "net " + (navigator.onLine ? "on" : "off");
    if (navigator.onLine) { sync(); refreshList(); }
  }
  window.addEventListener("online", netState);
  window.addEventListener("offline", netState);
  // navigator.onLine can say online in a basement that has no internet:
  // the queue is simply tried again every few seconds.
  setInterval(function () { queueCount().then(function (n) { if (n > 0) sync(); }); }, 5000);

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
    if (decodeQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/static/vendor/jsqr/jsQR.js";
      s.onload = function () { decodeQR = window.jsQR; resolve(); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  // The same code is not sent again while it stays in front of the camera
  // (and for 3 s after it was last seen): one person, one answer.
  var lastSeen = {};
  function seen(raw) {
    var now = Date.now(), again = lastSeen[raw] !== undefined && now - lastSeen[raw] < 3000;
    lastSeen[raw] = now;
    return !again;
  }
  // Frames are decoded at most MAX_SIDE pixels wide or high: a ticket's
  // code still has several pixels per module there, and decoding time grows
  // with the pixels (a phone's 1280×720 frame takes jsQR four times as long).
  var MAX_SIDE = 480;
  function decode(w, h) {
    if (detector) return detector.detect(canvas).then(function (c) { return c.length ? c[0].rawValue : ""; });
    var r = decodeQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    return Promise.resolve(r ? r.data : "");
  }
  // tick reads one frame; while a code found in it is being answered (until
  // the answer is painted) no other frame is read.
  function tick() {
    if (video.readyState >= 2 && !busy && video.videoWidth) {
      var started = performance.now(), scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      ctx.drawImage(video, 0, 0, w, h);
      busy = true;
      decode(w, h).then(function (raw) {
        if (!raw || !seen(raw)) return;
        root.dataset.lastDecode = String(Math.round(performance.now() - started));
        return checkIn({ event: eventId, code: raw }, started);
      }).catch(function () {}).then(function () { busy = false; });
    }
    requestAnimationFrame(tick);
  }
  $("start").addEventListener("click", function () {
    $("start").hidden = true;
    sound();
    decoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () { root.dataset.camera = "on"; $("camera-msg").textContent = t.tCameraOn; requestAnimationFrame(tick); })
      .catch(function () { $("camera-msg").textContent = t.tCameraError; $("start").hidden = false; });
  });

  // ---- manual search (server, or this device's list offline) ----
  function resultRow(m) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = m.name + (m.email ? " · " + m.email : "") + (m.checked_in_at ? " ✓ " + riga(m.checked_in_at) : "") +
      (m.status !== "confirmed" ? " (" + describe({ result: m.status, name: "" }).replace(/[:\s]+$/, "") + ")" : "");
    var b = document.createElement("button");
    b.type = "button"; b.textContent = t.tCheckIn;
    b.addEventListener("click", function () { checkIn({ event: eventId, registration: m.registration, method: "manual" }); });
    li.appendChild(label); li.appendChild(b);
    return li;
  }
  function showResults(items) {
    var ul = $("results");
    ul.textContent = "";
    items.forEach(function (m) { ul.appendChild(resultRow(m)); });
    if (!items.length) { var li = document.createElement("li"); li.textContent = t.tNoneFound; ul.appendChild(li); }
  }
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("q").value.trim();
    if (q.length < 2) return;
    api("GET", "/api/events/" + eventId + "/search?q=" + encodeURIComponent(q)).then(function (r) {
      if (!r.ok) throw new Error("search " + r.status);
      return r.json();
    }).then(function (j) { showResults(j.items || []); }).catch(function () {
      var needle = q.toLocaleLowerCase();
      return allTickets().then(function (all) {
        showResults(all.filter(function (tk) { return tk.name.toLocaleLowerCase().indexOf(needle) >= 0; }).slice(0, 20));
      });
    }).catch(function () { showResults([]); });
  });

  // ---- walk-in ----
  $("walkin-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var o = $("w-override"), msg = $("walkin-msg");
    msg.textContent = "";
    api("POST", "/api/events/" + eventId + "/walkin", { name: $("w-name").value, email: $("w-email").value, override: !!(o && o.checked) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (x) {
        if (x.ok) { show(x.j); ev.target.reset(); }
        else if (x.j.data && x.j.data.code === "full") { msg.textContent = t.tFull; }
        else if (x.j.data && x.j.data.code === "event_cancelled") { msg.textContent = t.tEventCancelledNotice; }
        else { msg.textContent = t.tError; }
      }, function () { msg.textContent = t.tNeedsConnection; });
  });

  // ---- offline preparation ----
  function keepList(j, user) {
    var tickets = j.tickets || [];
    return allTickets().then(function (old) {
      var local = {};
      old.forEach(function (tk) { local[tk.key] = tk; });
      return store("tickets", "readwrite", function (s) {
        tickets.forEach(function (tk) {
          tk.key = eventId + ":" + tk.hash;
          if (j.cancelled) tk.event_cancelled = true;
          // A check-in judged here and not yet sent stays checked in.
          if (!tk.checked_in_at && local[tk.key] && local[tk.key].checked_in_at) tk.checked_in_at = local[tk.key].checked_in_at;
          s.put(tk);
        });
      });
    }).then(function () {
      return store("meta", "readwrite", function (s) { s.put({ event: eventId, ends_at: j.ends_at, user: user }); });
    }).then(function () {
      $("prepared").textContent = t.tPrepared.replace("{n}", tickets.length);
      root.dataset.prepared = "1";
    });
  }
  function fetchList() {
    return KopaSession.token().then(function (s) {
      return api("GET", "/api/events/" + eventId + "/tickets").then(function (r) {
        if (!r.ok) throw new Error("tickets " + r.status);
        return r.json();
      }).then(function (j) { return keepList(j, s.id); });
    });
  }
  function prepared() {
    return store("meta", "readonly", function (s) { return s.get(eventId); }).catch(function () { return null; });
  }
  var refreshing = false;
  // refreshList brings a prepared list up to date (walk-ins, late
  // registrations) whenever the connection allows.
  function refreshList() {
    if (refreshing) return;
    refreshing = true;
    prepared().then(function (m) { if (m) return fetchList(); }).catch(function () {}).then(function () { refreshing = false; });
  }
  // Preparing for offline use: the service worker installed with its cache
  // of this page and its files, the decoder loaded now (it cannot be
  // fetched once the connection is gone), and the ticket list kept.
  var decoderReady = null;
  function decoder() {
    return decoderReady || (decoderReady = loadDecoder().catch(function (e) { decoderReady = null; throw e; }));
  }
  function workerReady() {
    var ready = navigator.serviceWorker.register("/manage/scan-sw.js", { scope: "/manage" }).then(function () {
      return navigator.serviceWorker.ready;
    });
    // A worker that fails to install never becomes ready: give up waiting.
    var late = new Promise(function (resolve, reject) { setTimeout(function () { reject(new Error("no service worker")); }, 5000); });
    return Promise.race([ready, late]).then(function () {
      // The page itself, so that it opens without a connection.
      return caches.open(CACHE).then(function (c) { return c.add(location.pathname); });
    });
  }
  $("prepare").addEventListener("click", function () {
    if (!window.isSecureContext || !("serviceWorker" in navigator) || !window.crypto || !crypto.subtle) {
      $("prepared").textContent = t.tOfflineUnavailable;
      return;
    }
    Promise.all([workerReady(), decoder()]).then(fetchList).catch(function () { $("prepared").textContent = t.tError; });
  });
  // Forget the lists of events that have ended, and lists kept for
  // someone else who signed in on this device.
  function forget(ev) {
    return store("tickets", "readwrite", function (s) { s.delete(IDBKeyRange.bound(ev + ":", ev + ":\uffff")); })
      .then(function () { return store("meta", "readwrite", function (s) { s.delete(ev); }); });
  }
  function tidy(user) {
    return store("meta", "readonly", function (s) { return s.getAll(); }).then(function (metas) {
      var now = Date.now();
      return Promise.all((metas || []).map(function (m) {
        var ended = m.ends_at && new Date(m.ends_at.replace(" ", "T")).getTime() < now;
        if (ended || (user && m.user && m.user !== user)) return forget(m.event);
      }));
    });
  }
  var logout = document.querySelector('form[action="/manage/logout"]');
  if (logout) logout.addEventListener("submit", function () {
    store("meta", "readonly", function (s) { return s.getAll(); }).then(function (metas) {
      (metas || []).forEach(function (m) { forget(m.event); });
    }).catch(function () {});
  });

  // ---- running counts: every answer, the live hub, and a slow poll ----
  var socket = null;
  function live() {
    KopaSession.token().then(function (s) {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/live?event=" + encodeURIComponent(eventId));
      socket = ws;
      ws.onopen = function () { ws.send(JSON.stringify({ type: "auth", token: s.token })); };
      ws.onmessage = function (m) { try { var j = JSON.parse(m.data); if (j.stats) counts(j.stats); } catch (e) { /* ignore */ } };
      ws.onclose = function () { socket = null; setTimeout(live, 5000); };
    }).catch(function () { setTimeout(live, 10000); });
  }
  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) return;
    api("GET", "/api/events/" + eventId + "/stats").then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) counts(s); }).catch(function () {});
  }, 30000);

  KopaSession.token().then(function (s) { return tidy(s.id); }, function () { return tidy(""); })
    .then(prepared).then(function (m) {
      if (m) { root.dataset.prepared = "1"; return allTickets().then(function (all) { $("prepared").textContent = t.tPrepared.replace("{n}", all.length); }); }
    }).catch(function () {});
  netState();
  queueCount();
  live();
})();
