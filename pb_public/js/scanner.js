// Kopā door scanner: reads ticket QR codes from the camera, asks the server
// (or, offline, the ticket list kept on this device), and shows the answer
// full-screen. Scans made offline wait in IndexedDB (they survive closing
// the tab) and are sent, with the time they were made, when the connection
// is back; the server's answers then replace the local judgments.
//
// A ticket may hold a party (a family): the answer says how many, and
// quick buttons say how many came in (the whole party unless a button
// says less: the choice is sent as "arrived", right after the answer, and
// queued with the scan when the line is down). Beside the no-photos badge
// it shows the party's interpretation wish and the children to mind.
//
// A basement's connection is often neither on nor off but hanging: no
// request keeps the door waiting longer than DOOR_WAIT. A scan that has no
// answer by then is judged from the list on this device and queued, and
// while the connection stays that slow, scans are judged here at once.
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
  // queueCount shows how many scans wait to be sent, and counts the ones
  // judged "ok" here among the checked-in (the server counts them once
  // they are sent). A scan whose request timed out may have reached the
  // server too: until it is sent it can be counted twice, never missed.
  function queueCount() {
    return store("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      items = items || [];
      pendingIn = items.filter(function (it) { return it.event === eventId && it.local === "ok"; })
        .reduce(function (n, it) { return n + (it.arrived || 1); }, 0);
      paintIn();
      $("pending").textContent = items.length;
      $("pending-wrap").className = items.length > 0 ? "waiting" : "";
      return items.length;
    }).catch(function () { return 0; });
  }

  // ---- the answer on screen ----
  // Besides the server's results, the page has three of its own: forbidden
  // (this sign-in may not check in now), outside (not within a day of the
  // event, see inWindow) and unchecked (no answer and no list to judge by:
  // the scan is kept and sent later).
  // A volunteer's personal code answers "volunteer" (their arrival on
  // their shift is recorded), or is refused with one of the volunteer_…
  // codes.
  var colours = { ok: "ok", already: "warn", wrong_event: "bad", cancelled: "bad", waitlisted: "bad", unknown: "bad", forbidden: "bad", outside: "bad", unchecked: "warn",
    volunteer: "ok", volunteer_unknown: "bad", volunteer_not_approved: "bad", volunteer_no_shift: "bad" };
  var keys = { ok: "tOk", already: "tAlready", wrong_event: "tWrongEvent", cancelled: "tCancelled", waitlisted: "tWaitlisted", unknown: "tUnknown", forbidden: "tForbidden", outside: "tOutside", unchecked: "tUnchecked",
    volunteer: "tVolunteer", volunteer_unknown: "tVolunteerUnknown", volunteer_not_approved: "tVolunteerNotApproved", volunteer_no_shift: "tVolunteerNoShift" };
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
    if (res.result === "volunteer" && res.already) return text("tVolunteerAlready", res.name, riga(res.arrived_at));
    return text(keys[res.result] || "tUnknown", res.name, riga(res.checked_in_at));
  }
  function isVolunteerCode(s) { return /^V-[A-Za-z0-9]{28}$/.test((s || "").trim()); }
  // volunteerRefusal is the volunteer_… code of a refused volunteer's code.
  function volunteerRefusal(j) {
    var c = j && j.data && j.data.code;
    return typeof c === "string" && keys[c] && /^volunteer_/.test(c) ? c : "";
  }
  // shiftLine says which shift a volunteer checked in on: its role and time.
  function shiftLine(res) {
    var sh = res.shift || {}, role = document.querySelector('#role-names [data-role="' + sh.role + '"]');
    return (role ? role.textContent : sh.role || "") + ", " + riga(sh.starts_at) + "–" + riga(sh.ends_at);
  }
  // counted picks the server-rendered phrase for n ("2 children to mind"),
  // in the page's plural forms, from the hidden list with that id.
  function counted(id, n) {
    var el = document.querySelector("#" + id + ' [data-n="' + n + '"]');
    return el ? el.textContent : String(n);
  }
  function langNames(langs) {
    return (langs || []).map(function (l) {
      var el = document.querySelector('#lang-names [data-lang="' + l + '"]');
      return el ? el.textContent : l;
    }).join(", ");
  }
  // shown is the answer on screen with the scan it answers, for the
  // buttons that correct how many came in.
  var shown = null;
  // wishes fills in the party, its arrival buttons and its wishes.
  function wishes(res, scan) {
    var admitted = res.result === "ok" || res.result === "already", party = res.party || 1;
    $("answer-party").hidden = !admitted || party < 2;
    $("answer-interpretation").hidden = !admitted || !(res.interpretation || []).length;
    $("answer-childcare").hidden = !admitted || !(res.childcare > 0);
    shown = admitted && scan ? { scan: scan, res: res } : null;
    if (!admitted) return;
    if ((res.interpretation || []).length) $("answer-interpretation").textContent = t.tInterpreter.replace("{langs}", langNames(res.interpretation));
    if (res.childcare > 0) $("answer-childcare").textContent = counted("n-children", res.childcare);
    if (party < 2) return;
    $("answer-party-line").textContent = counted("n-party", party);
    var group = $("arrived");
    group.textContent = "";
    for (var k = 1; k <= party; k++) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "count"; b.textContent = String(k); b.dataset.n = String(k);
      group.appendChild(b);
    }
    pressArrived(res.arrived || party);
  }
  function pressArrived(n) {
    Array.prototype.forEach.call($("arrived").children, function (b) {
      b.setAttribute("aria-pressed", b.dataset.n === String(n) ? "true" : "false");
    });
    root.dataset.arrived = String(n);
  }
  var hideTimer = 0;
  function hideAnswer() { clearTimeout(hideTimer); shown = null; $("answer").hidden = true; }
  // show fills the screen with an answer. It goes away by itself (a queue
  // is waiting), sooner for a welcome than for a problem, or with a tap.
  function show(res, detail, scan) {
    var box = $("answer");
    box.className = "answer " + (colours[res.result] || "bad");
    $("answer-title").textContent = describe(res);
    $("answer-detail").textContent = detail || "";
    $("answer-photo").hidden = !(res.result === "ok" || res.result === "already") || res.photo_consent !== false;
    wishes(res, scan);
    box.dataset.result = res.result;
    box.hidden = false;
    // How many answers the page gave, and when the last one was shown:
    // for the browser test (one ticket, one answer).
    root.dataset.answers = String(Number(root.dataset.answers || 0) + 1);
    root.dataset.answeredAt = String(Math.round(performance.now()));
    if (res.stats) counts(res.stats);
    var good = res.result === "ok" || (res.result === "volunteer" && !res.already);
    signal(good);
    // A party's answer stays long enough to say how many came in.
    hold(good && $("answer-party").hidden ? 2500 : 6000);
  }
  function hold(ms) {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideAnswer, ms);
  }
  // A tap on a count says how many of the party came in: the scan is sent
  // again with "arrived" (the server corrects its count), or, when it
  // waits in the queue, it waits with the new count.
  $("arrived").addEventListener("click", function (ev) {
    ev.stopPropagation();
    var b = ev.target.closest("button[data-n]");
    if (!b || !shown) return;
    var n = Number(b.dataset.n), cur = shown;
    hold(6000);
    if (n === cur.res.arrived) return;
    cur.res.arrived = n;
    pressArrived(n);
    correctArrived(cur.scan, cur.res, n);
  });
  // serverIn is the server's last checked-in count; pendingIn the scans
  // judged "ok" on this device and not yet sent (see queueCount).
  var serverIn = Number($("n-in").textContent) || 0, pendingIn = 0;
  function counts(s) {
    serverIn = s.checked_in;
    paintIn();
    $("n-confirmed").textContent = s.confirmed;
    $("n-capacity").textContent = s.capacity > 0 ? s.capacity : "∞";
  }
  function paintIn() { $("n-in").textContent = serverIn + pendingIn; }
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
  // DOOR_WAIT bounds every request the door waits for (a check-in, a
  // search, a walk-in): with the decoding before it and the answer drawn
  // after it, even a slow phone never keeps the door waiting more than 4 s.
  // Work nobody waits for (sending queued scans, fetching the ticket list)
  // may take longer on a slow line.
  var DOOR_WAIT = 2500, BACKGROUND_WAIT = 15000;
  // link is what the page knows of its line to the server: "on" after an
  // answer within DOOR_WAIT, "slow" after a request that got no answer in
  // time (or none at all) while the device believes it is online, "off"
  // when the device says it is offline.
  var link = navigator.onLine ? "on" : "off";
  function setLink(state) {
    if (!navigator.onLine) state = "off";
    link = state;
    $("net").textContent = state === "on" ? t.tOnline : state === "slow" ? t.tSlow : t.tOfflineState;
    $("net").className = "net " + state;
    root.dataset.link = state;
  }
  var signedOut = false;
  // api resolves with {status, ok, data} (data: the JSON body, or null) once
  // the whole answer is read, or rejects: "timeout" when it took longer
  // than wait ms (the request is aborted), "session …" when the sign-in has
  // ended, anything else when there is no connection. A 401 asks the
  // session for a fresh token once, within the same wait.
  function api(method, path, body, wait, retried) {
    var began = performance.now(), timer = 0;
    var ctl = window.AbortController ? new AbortController() : null;
    var late = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        if (ctl) ctl.abort();
        reject(new Error("timeout"));
      }, wait);
    });
    var answer = KopaSession.token(!!retried).catch(function (err) {
      // The server answered but will not give a token: the sign-in has
      // ended (or this page is an old copy). Scans keep being queued.
      if (/^session /.test(err && err.message)) { signedOut = true; $("session-msg").hidden = false; }
      throw err;
    }).then(function (s) {
      signedOut = false;
      $("session-msg").hidden = true;
      return fetch(path, {
        method: method, credentials: "same-origin", signal: ctl ? ctl.signal : undefined,
        headers: { "Authorization": s.token, "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : undefined
      });
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        return { status: r.status, ok: r.ok, data: data };
      });
    });
    return Promise.race([answer, late]).then(function (r) {
      clearTimeout(timer);
      var took = performance.now() - began;
      setLink(took <= DOOR_WAIT ? "on" : "slow");
      if (r.status === 401 && !retried) {
        if (wait - took < 200) throw new Error("timeout");
        return api(method, path, body, wait - took, true);
      }
      return r;
    }, function (err) {
      clearTimeout(timer);
      if (!/^session /.test(err && err.message)) setLink("slow");
      throw err;
    });
  }
  // session is KopaSession.token() within DOOR_WAIT: a hanging line
  // must not stall what waits for it (the list's owner, the live counts).
  function session() {
    var late = new Promise(function (resolve, reject) { setTimeout(function () { reject(new Error("timeout")); }, DOOR_WAIT); });
    return Promise.race([KopaSession.token(), late]);
  }
  // who resolves with the signed-in person's id, or "" without an answer.
  function who() {
    return session().then(function (s) { return s.id; }, function () { return ""; });
  }
  function nowUTC() { return new Date().toISOString().replace("T", " "); }
  function parseUTC(s) { return s ? Date.parse(s.replace(" ", "T")) : NaN; }

  // inWindow says whether a check-in at this time (UTC) would be taken:
  // from a day before the event starts until a day after it ends, the
  // server's rule (checkin.ScanWindow) for scans sent at once and later.
  function inWindow(at) {
    var t0 = parseUTC(root.dataset.opens), t1 = parseUTC(root.dataset.closes), now = parseUTC(at);
    return isNaN(t0) || isNaN(t1) || (now >= t0 && now <= t1);
  }
  function outsideError(j) {
    return !!(j && j.data && j.data.at && j.data.at.code === "validation_outside_event");
  }

  // checkIn sends a scan (scan.code) or a manual check-in (scan.registration)
  // and shows the answer. Without a connection, without an answer within
  // DOOR_WAIT, or with a server in trouble, the scan is judged from this
  // device's list and queued; while the line stays slow, a device with a
  // list judges at once instead of waiting again.
  function checkIn(scan, startedAt) {
    var at = nowUTC();
    var asked = link !== "on" && root.dataset.prepared === "1" ? Promise.reject(new Error("link " + link)) :
      api("POST", "/api/checkin", scan, DOOR_WAIT);
    // Exactly one of the two shows the answer.
    return asked.then(function (r) {
      if (r.status === 401 || r.status === 429 || r.status >= 500) return judgeHere(new Error("server " + r.status));
      if (r.ok && r.data && r.data.result === "volunteer") {
        show(r.data, shiftLine(r.data));
      } else if (r.ok) {
        show(r.data, "", scan);
        remember(scan, r.data);
      } else if (volunteerRefusal(r.data)) {
        show({ result: volunteerRefusal(r.data) });
      } else if (r.status === 403) {
        show({ result: "forbidden" });
      } else if (outsideError(r.data)) {
        show({ result: "outside" });
      } else {
        show({ result: "unknown" });
      }
      return painted(startedAt);
    }, judgeHere);
    function judgeHere(err) {
      return judgeLocally(scan, at).then(function (res) {
        // The server would refuse it too: nothing to send.
        if (res.result === "outside") { show(res); return painted(startedAt); }
        // maybe: the request may have reached the server before it was
        // given up (see send).
        var item = { event: eventId, at: at, local: res.result, name: res.name || "", maybe: err.message === "timeout" };
        if (scan.code) item.code = scan.code;
        if (scan.registration) { item.registration = scan.registration; item.method = "manual"; }
        // This device let the party in: the scan is sent with how many.
        if (res.result === "ok") item.arrived = res.arrived || 1;
        return store("queue", "readwrite", function (s) { return s.add(item); }).then(function (id) {
          scan.queued = id;
          show(res, link === "off" ? t.tOffline : t.tJudgedHere, scan);
          queueCount();
          return painted(startedAt);
        });
      });
    }
  }
  // correctArrived sends how many of a party came in, for a scan answered
  // a moment ago. A scan still in the queue takes the count with it; one
  // the server answered is sent again with the count (and queued as a
  // correction when the line does not answer).
  function correctArrived(scan, res, n) {
    var local = ticketFor(scan).then(function (tk) {
      if (!tk || !tk.checked_in_at) return;
      tk.arrived = n;
      return store("tickets", "readwrite", function (s) { s.put(tk); });
    }).catch(function () {});
    if (scan.queued !== undefined) {
      return local.then(function () {
        return store("queue", "readwrite", function (s) {
          var get = s.get(scan.queued);
          get.onsuccess = function () {
            var it = get.result;
            if (it) { it.arrived = n; s.put(it); }
          };
        });
      }).then(queueCount).then(function () { root.dataset.corrected = String(n); });
    }
    var body = { event: scan.event, arrived: n };
    if (scan.registration) { body.registration = scan.registration; body.method = "manual"; } else { body.code = scan.code; }
    return local.then(function () {
      return api("POST", "/api/checkin", body, DOOR_WAIT);
    }).then(function (r) {
      if (r.status === 401 || r.status === 429 || r.status >= 500) throw new Error("server " + r.status);
      if (r.ok && r.data) {
        if (r.data.stats) counts(r.data.stats);
        root.dataset.corrected = String(r.data.arrived);
      }
    }).catch(function () {
      var item = { event: scan.event, at: res.checked_in_at || nowUTC(), local: "correction", name: res.name || "", arrived: n };
      if (scan.registration) { item.registration = scan.registration; item.method = "manual"; } else { item.code = scan.code; }
      return store("queue", "readwrite", function (s) { s.add(item); }).then(queueCount);
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
  // judgeLocally answers a scan from the list on this device: as the server
  // would, as far as the list knows. Without a usable list it can only say
  // that the scan is kept (unchecked).
  function judgeLocally(scan, at) {
    if (!inWindow(at)) return Promise.resolve({ result: "outside" });
    // The device keeps no list of volunteers: their scan is kept and sent.
    if (isVolunteerCode(scan.code)) return Promise.resolve({ result: "unchecked" });
    return usableList().then(function (ok) {
      if (!ok) return null;
      return ticketFor(scan).catch(function () { return null; }).then(function (tk) { return tk || false; });
    }).then(function (tk) {
      if (tk === null) return { result: "unchecked" };
      if (!tk) return { result: "unknown" };
      // The event was cancelled (as this page was loaded, or as the list
      // was kept): nobody is let in on its tickets.
      if (tk.status === "confirmed" && (root.dataset.eventCancelled || tk.event_cancelled)) return { result: "cancelled", event_cancelled: true, name: tk.name };
      if (tk.status !== "confirmed") return { result: tk.status, name: tk.name };
      // The party and its wishes, as the server answers them.
      var party = tk.party || 1, res = { name: tk.name, photo_consent: tk.photo_consent, registration: tk.registration,
        party: party, interpretation: tk.interpretation || [], childcare: tk.childcare || 0 };
      if (tk.checked_in_at) {
        res.result = "already"; res.checked_in_at = tk.checked_in_at; res.arrived = tk.arrived || party;
        return res;
      }
      tk.checked_in_at = at;
      tk.arrived = party;
      return store("tickets", "readwrite", function (s) { s.put(tk); }).then(function () {
        res.result = "ok"; res.arrived = party;
        return res;
      });
    });
  }
  // remember keeps the server's check-in time in the local list, so a scan
  // of the same ticket after the connection drops is judged right.
  function remember(scan, res) {
    if (!res.checked_in_at) return Promise.resolve();
    return ticketFor(scan).then(function (tk) {
      if (!tk || (tk.checked_in_at === res.checked_in_at && tk.arrived === res.arrived)) return;
      tk.checked_in_at = res.checked_in_at;
      if (res.arrived) tk.arrived = res.arrived;
      return store("tickets", "readwrite", function (s) { s.put(tk); });
    }).catch(function () {});
  }

  // ---- sending what was scanned offline ----
  var syncing = false;
  // sync sends the queued scans one by one. It stops at the first that
  // finds no connection (the rest would not either), and does not try while
  // the sign-in has ended: the scans wait for the next sign-in on this
  // device, and the page says so.
  function sync() {
    if (syncing || signedOut) return Promise.resolve();
    syncing = true;
    return store("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      var i = 0;
      items = items || [];
      function next() { if (i < items.length) return send(items[i++]).then(next); }
      return next();
    }).catch(function () { /* no connection: try again later */ }).then(function () {
      syncing = false;
      return queueCount();
    });
  }
  // send sends one queued scan and settles it: the server's answer replaces
  // the local judgment; a scan the server refuses for good (malformed, or
  // outside the event's day) or refuses this sign-in (it lost its access to
  // the door, 401/403) is dropped with a note; one it cannot take now (429,
  // a server in trouble) stays for the next round. It rejects when there is
  // no connection.
  function send(it) {
    var body = { event: it.event, at: it.at, method: it.method || "qr" };
    if (it.code) body.code = it.code; else body.registration = it.registration;
    if (it.arrived) body.arrived = it.arrived;
    return api("POST", "/api/checkin", body, BACKGROUND_WAIT).then(function (r) {
      var j = r.data || {};
      if (r.status === 200) {
        if (j.stats && it.event === eventId) counts(j.stats);
        if (it.event === eventId) remember(it, j);
        var same = j.result === it.local || (it.local === "correction" && (j.result === "already" || j.result === "ok"));
        if (!same && !ownScan(it, j)) note(t.tSynced.replace("{answer}", describe({ result: j.result, name: j.name || it.name, checked_in_at: j.checked_in_at, arrived_at: j.arrived_at, already: j.already })));
      } else if (volunteerRefusal(j)) {
        note(t.tSynced.replace("{answer}", describe({ result: volunteerRefusal(j) })));
      } else if (r.status === 400 || r.status === 404) {
        note(t.tNotAccepted.replace("{name}", it.name || "?"));
      } else if (r.status === 401 || r.status === 403) {
        note(t.tLostAccess.replace("{name}", it.name || "?"));
      } else {
        return;
      }
      return store("queue", "readwrite", function (s) { s.delete(it.id); });
    });
  }
  // ownScan: the server says "already" to a scan judged "ok" here, but the
  // first check-in it holds is this scan's own: its request timed out after
  // reaching the server (it then keeps the earlier of the two times, and the
  // device's and the server's clocks may differ by up to the five minutes
  // the server allows). Not a different answer, so no note.
  function ownScan(it, j) {
    return it.maybe && it.local === "ok" && j.result === "already" &&
      Math.abs(parseUTC(j.checked_in_at) - parseUTC(it.at)) <= 5 * 60 * 1000;
  }
  // note lists what the server answered differently from this device.
  function note(msg) {
    var li = document.createElement("li");
    li.textContent = msg;
    $("synced").insertBefore(li, $("synced").firstChild);
    $("synced-wrap").hidden = false;
  }
  // probe asks for the counts: the answer (or its absence) tells the line's
  // state when there is nothing to send.
  function probe() {
    return api("GET", "/api/events/" + eventId + "/stats", null, DOOR_WAIT).then(function (r) {
      if (r.ok && r.data) counts(r.data);
    }).catch(function () {});
  }
  function netState() {
    if (!navigator.onLine) { setLink("off"); return; }
    // The device says online: the next answer (or none) tells.
    queueCount().then(function (n) { return n > 0 ? sync() : probe(); });
    refreshList();
  }
  window.addEventListener("online", netState);
  window.addEventListener("offline", netState);
  // navigator.onLine can say online in a basement that has no internet:
  // the queue is simply tried again every few seconds, and a line that was
  // slow is asked again whether it has recovered.
  setInterval(function () {
    queueCount().then(function (n) {
      if (n > 0) return sync();
      if (link === "slow") return probe();
    });
  }, 5000);

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
  // The 3 s count from the answer on screen, not from the first sight: a
  // slow answer does not let the same ticket be answered twice.
  var lastSeen = {};
  function seen(raw) {
    var now = Date.now(), again = lastSeen[raw] !== undefined && now - lastSeen[raw] < 3000;
    lastSeen[raw] = now;
    if (again) root.dataset.repeatAt = String(Math.round(performance.now()));
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
  // nextFrame calls f when the camera has a new frame: each frame is
  // decoded once, and no core decodes a frame already read while the
  // camera has no new one (a phone's screen paints twice or more for each
  // camera frame). Browsers without requestVideoFrameCallback read a frame
  // at each paint.
  function nextFrame(f) {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(function () { f(); });
    else requestAnimationFrame(f);
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
        return checkIn({ event: eventId, code: raw }, started).then(function () { lastSeen[raw] = Date.now(); });
      }).catch(function () {}).then(function () { busy = false; });
    }
    nextFrame(tick);
  }
  $("start").addEventListener("click", function () {
    $("start").hidden = true;
    sound();
    decoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () { root.dataset.camera = "on"; $("camera-msg").textContent = t.tCameraOn; nextFrame(tick); })
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
    b.addEventListener("click", function () { checkIn({ event: eventId, registration: m.registration, method: "manual" }, performance.now()); });
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
    var q = $("q").value.trim(), began = performance.now();
    if (q.length < 2) return;
    // A slow line is not asked: the list on this device answers at once.
    var asked = link !== "on" && root.dataset.prepared === "1" ? Promise.reject(new Error("link " + link)) :
      api("GET", "/api/events/" + eventId + "/search?q=" + encodeURIComponent(q), null, DOOR_WAIT);
    asked.then(function (r) {
      if (!r.ok || !r.data) throw new Error("search " + r.status);
      showResults(r.data.items || []);
    }).catch(function () {
      var needle = q.toLocaleLowerCase();
      return usableList().then(function (ok) { return ok ? allTickets() : []; }).then(function (all) {
        showResults(all.filter(function (tk) { return tk.name.toLocaleLowerCase().indexOf(needle) >= 0; }).slice(0, 20));
      });
    }).catch(function () { showResults([]); }).then(function () {
      // How long the results took to show, for the browser test.
      root.dataset.lastSearch = String(Math.round(performance.now() - began));
    });
  });

  // ---- walk-in ----
  $("walkin-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var o = $("w-override"), msg = $("walkin-msg");
    msg.textContent = "";
    api("POST", "/api/events/" + eventId + "/walkin", { name: $("w-name").value, email: $("w-email").value, override: !!(o && o.checked) }, DOOR_WAIT)
      .then(function (r) {
        var j = r.data || {};
        if (r.ok) { show(j); ev.target.reset(); }
        else if (j.data && j.data.code === "full") { msg.textContent = t.tFull; }
        else if (j.data && j.data.code === "event_cancelled") { msg.textContent = t.tEventCancelledNotice; }
        else { msg.textContent = t.tError; }
      }, function (err) {
        // A walk-in that timed out may have been registered: look before
        // registering them again.
        msg.textContent = err.message === "timeout" ? t.tWalkinUnsure : t.tNeedsConnection;
      });
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
          // A check-in judged here and not yet sent stays checked in,
          // with how many of its party came in.
          if (!tk.checked_in_at && local[tk.key] && local[tk.key].checked_in_at) {
            tk.checked_in_at = local[tk.key].checked_in_at;
            tk.arrived = local[tk.key].arrived;
          }
          s.put(tk);
        });
      });
    }).then(function () {
      return store("meta", "readwrite", function (s) { s.put({ event: eventId, ends_at: j.ends_at, keep_hours: j.keep_hours || 0, user: user }); });
    }).then(function () {
      $("prepared").textContent = t.tPrepared.replace("{n}", tickets.length);
      root.dataset.prepared = "1";
    });
  }
  function fetchList() {
    return api("GET", "/api/events/" + eventId + "/tickets", null, BACKGROUND_WAIT).then(function (r) {
      if (!r.ok || !r.data) throw new Error("tickets " + r.status);
      return who().then(function (user) { return keepList(r.data, user); });
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
  // Forget the lists kept past their time (keep_hours after the event's
  // end, checkin.ListKeep; the service worker applies the same rule), and
  // lists kept for someone else who signed in on this device.
  function forget(ev) {
    if (ev === eventId) delete root.dataset.prepared;
    return store("tickets", "readwrite", function (s) { s.delete(IDBKeyRange.bound(ev + ":", ev + ":\uffff")); })
      .then(function () { return store("meta", "readwrite", function (s) { s.delete(ev); }); });
  }
  function expired(m) {
    var end = parseUTC(m.ends_at);
    return !isNaN(end) && end + (m.keep_hours || 0) * 3600 * 1000 < Date.now();
  }
  function tidy(user) {
    return store("meta", "readonly", function (s) { return s.getAll(); }).then(function (metas) {
      return Promise.all((metas || []).map(function (m) {
        if (expired(m) || (user && m.user && m.user !== user)) return forget(m.event);
      }));
    });
  }
  // usableList resolves true when this event's list is kept and not past
  // its time (one past its time is forgotten now, not used).
  function usableList() {
    return prepared().then(function (m) {
      if (!m) return false;
      if (expired(m)) return forget(eventId).then(function () { $("prepared").textContent = ""; return false; });
      return true;
    }).catch(function () { return false; });
  }
  // The page may stay open past the list's time.
  setInterval(function () { tidy("").catch(function () {}); usableList(); }, 60000);
  var logout = document.querySelector('form[action="/manage/logout"]');
  if (logout) logout.addEventListener("submit", function () {
    store("meta", "readonly", function (s) { return s.getAll(); }).then(function (metas) {
      (metas || []).forEach(function (m) { forget(m.event); });
    }).catch(function () {});
  });

  // ---- running counts: every answer, the live hub, and a slow poll ----
  var socket = null;
  function live() {
    session().then(function (s) {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/live?event=" + encodeURIComponent(eventId));
      socket = ws;
      // A hanging line can hold the opening handshake for minutes.
      var opening = setTimeout(function () { ws.close(); }, 10000);
      ws.onopen = function () { clearTimeout(opening); ws.send(JSON.stringify({ type: "auth", token: s.token })); };
      ws.onmessage = function (m) { try { var j = JSON.parse(m.data); if (j.stats) counts(j.stats); } catch (e) { /* ignore */ } };
      ws.onclose = function (ev) {
        clearTimeout(opening); socket = null;
        // 4429: this sign-in opened more pages than the server keeps, and
        // this one was the oldest; coming back would close another. The
        // counts then come with every answer and the slow poll. 4403: no
        // access to the event (not yet, or no longer): ask again slowly.
        if (ev.code === 4429) return;
        setTimeout(live, ev.code === 4403 ? 60000 : 5000);
      };
    }).catch(function () { setTimeout(live, 10000); });
  }
  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) return;
    probe();
  }, 30000);

  who().then(tidy).then(prepared).then(function (m) {
    if (m) { root.dataset.prepared = "1"; return allTickets().then(function (all) { $("prepared").textContent = t.tPrepared.replace("{n}", all.length); }); }
  }).catch(function () {});
  setLink(link);
  netState();
  live();
})();
