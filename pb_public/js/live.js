// Kopā: the live attendance dashboard (/manage/events/{id}/live).
//
// It opens /api/live?event={id}, authenticates with the session's API token
// in the first message (never in the URL), and redraws the numbers, the
// progress bar, the arrivals chart and the last arrivals on every message.
// A lost connection is retried with growing pauses (1 s up to 30 s); every
// reconnect starts again from the server's snapshot. Names are shown by
// first name only.
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root || !window.WebSocket || !window.KopaSession) return;

  var eventID = root.getAttribute("data-event");
  var startsAt = Date.parse(root.getAttribute("data-starts"));
  var t = function (key) { return root.getAttribute("data-t-" + key) || ""; };
  var $ = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";
  var RECENT = 12;

  var stats = null;      // the last counts received
  var arrivals = [];     // check-in times (ms), oldest first
  var recent = [];       // {name, at} of check-ins seen while open, newest first
  var socket = null;
  var attempt = 0;       // consecutive failed connections, for the backoff
  var retryTimer = null;
  var stopped = false;   // a final state (no access, no event, signed out)

  // --- numbers --------------------------------------------------------

  function setText(id, value) {
    var el = $(id);
    if (el && el.textContent !== String(value)) el.textContent = value;
  }

  function percent(part, whole) {
    if (whole <= 0) return 0;
    return Math.min(100, Math.floor(part * 100 / whole));
  }

  function render() {
    if (!stats) return;
    setText("live-checked-in", stats.checked_in);
    setText("live-confirmed", stats.confirmed);
    setText("live-expected", Math.max(stats.confirmed - stats.checked_in, 0));
    setText("live-capacity", stats.capacity > 0 ? stats.capacity : t("unlimited"));
    setText("live-waitlisted", stats.waitlisted);

    var bar = $("live-bar");
    var whole = stats.capacity > 0 ? stats.capacity : Math.max(stats.confirmed, 1);
    bar.max = whole;
    bar.value = Math.min(stats.checked_in, whole);
    var label = stats.capacity > 0 ? t("progress") : t("progress-nolimit");
    setText("live-bar-label", label.replace("{p}", percent(stats.checked_in, stats.capacity > 0 ? stats.capacity : stats.confirmed)));

    renderRecent();
    drawChart();
  }

  function firstName(name) {
    var parts = String(name || "").trim().split(/\s+/);
    return parts[0] || "";
  }

  var clock = new Intl.DateTimeFormat(document.documentElement.lang || "lv", {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Europe/Riga"
  });

  function renderRecent() {
    var list = $("live-recent");
    var items = [];
    recent.forEach(function (r) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = r.name;
      var time = document.createElement("time");
      time.dateTime = new Date(r.at).toISOString();
      time.textContent = clock.format(r.at);
      li.appendChild(name);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(time);
      items.push(li);
    });
    list.replaceChildren.apply(list, items);
    $("live-recent-empty").hidden = recent.length > 0;
  }

  // --- chart: cumulative arrivals as a step line, drawn as SVG ----------

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function drawChart() {
    var svg = $("live-chart");
    // Draw in the SVG's own pixels, so the labels keep their size on a
    // phone and on a projector alike.
    var W = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
    var H = Math.round(Math.min(360, Math.max(180, W * 0.4)));
    var L = 44, R = 12, T = 12, B = 30;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var now = Date.now();
    $("live-chart-empty").hidden = arrivals.length > 0;

    var x0 = isNaN(startsAt) ? now - 3600e3 : startsAt - 30 * 60e3;
    if (arrivals.length && arrivals[0] < x0) x0 = arrivals[0];
    var x1 = Math.max(now, arrivals.length ? arrivals[arrivals.length - 1] : 0, x0 + 30 * 60e3);
    var cap = stats && stats.capacity > 0 ? stats.capacity : 0;
    var yMax = Math.max(cap, arrivals.length, stats ? stats.confirmed : 0, 1);

    var sx = function (ms) { return L + (ms - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (n) { return H - B - n / yMax * (H - T - B); };

    var nodes = [];
    nodes.push(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "axis" }));
    nodes.push(el("line", { x1: L, y1: T, x2: L, y2: H - B, "class": "axis" }));
    nodes.push(el("text", { x: L - 6, y: H - B, "class": "tick y" }, "0"));
    nodes.push(el("text", { x: L - 6, y: sy(yMax) + 4, "class": "tick y" }, String(yMax)));
    var ticks = W < 480 ? 2 : 3;
    for (var i = 0; i <= ticks; i++) {
      var ms = x0 + (x1 - x0) * i / ticks;
      var anchor = i === 0 ? " first" : i === ticks ? " last" : "";
      nodes.push(el("text", { x: sx(ms), y: H - 8, "class": "tick x" + anchor }, clock.format(ms)));
    }
    if (cap > 0) {
      nodes.push(el("line", { x1: L, y1: sy(cap), x2: W - R, y2: sy(cap), "class": "capacity" }));
    }
    if (!isNaN(startsAt) && startsAt > x0 && startsAt < x1) {
      nodes.push(el("line", { x1: sx(startsAt), y1: T, x2: sx(startsAt), y2: H - B, "class": "start" }));
    }
    if (arrivals.length) {
      var d = "M" + sx(x0).toFixed(1) + " " + sy(0).toFixed(1);
      arrivals.forEach(function (ms, k) {
        d += " H" + sx(ms).toFixed(1) + " V" + sy(k + 1).toFixed(1);
      });
      d += " H" + sx(Math.min(now, x1)).toFixed(1);
      nodes.push(el("path", { d: d, "class": "arrivals" }));
    }
    svg.replaceChildren.apply(svg, nodes);
  }

  // --- connection -----------------------------------------------------

  function status(state, text) {
    var p = $("live-status");
    p.setAttribute("data-state", state);
    setText("live-status-text", text);
    $("live-login").hidden = state !== "signedout";
  }

  function parseTime(s) { return Date.parse(String(s).replace(" ", "T")); }

  function onMessage(ev) {
    var m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (!m || m.event !== eventID || !m.stats) return;
    stats = m.stats;
    if (m.type === "snapshot") {
      attempt = 0;
      arrivals = (m.arrivals || []).map(parseTime).filter(function (x) { return !isNaN(x); });
      status("live", t("live"));
    } else if (m.type === "checkin") {
      var at = parseTime(m.at);
      if (isNaN(at)) at = Date.now();
      if (m.removed || arrivals.length > stats.checked_in) {
        arrivals = arrivals.slice(0, Math.min(arrivals.length, stats.checked_in));
      } else {
        // A check-in already in the snapshot is not counted twice; a party
        // arriving is one arrival per person, as the counts are people.
        while (arrivals.length < stats.checked_in) arrivals.push(at);
        if (m.name) {
          recent.unshift({ name: firstName(m.name), at: at });
          recent = recent.slice(0, RECENT);
        }
      }
    }
    render();
  }

  function connect(freshToken) {
    clearTimeout(retryTimer);
    if (stopped) return;
    status(attempt ? "reconnecting" : "connecting", attempt ? t("reconnecting") : t("connecting"));
    KopaSession.token(freshToken).then(function (session) {
      var proto = location.protocol === "https:" ? "wss:" : "ws:";
      var ws = new WebSocket(proto + "//" + location.host + "/api/live?event=" + encodeURIComponent(eventID));
      socket = ws;
      ws.onopen = function () {
        ws.send(JSON.stringify({ type: "auth", token: session.token }));
      };
      ws.onmessage = onMessage;
      ws.onclose = function (ev) {
        if (socket !== ws) return;
        socket = null;
        switch (ev.code) {
          case 4403: stop("forbidden"); return;
          case 4404: stop("notfound"); return;
          // This account opened more pages than the server keeps; this
          // one, the oldest, was closed. Reconnecting would close another.
          case 4429: stop("toomany"); return;
          case 4401: retry(true); return; // the token may have expired: ask for a new one
          default: retry(false);
        }
      };
    }).catch(function (err) {
      // 401 from /manage/token: the session cookie is gone.
      if (/\b401\b/.test(String(err && err.message))) { stop("signedout"); return; }
      retry(false);
    });
  }

  function retry(freshToken) {
    if (stopped) return;
    attempt++;
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1));
    delay = delay / 2 + Math.random() * delay / 2;
    status(navigator.onLine === false ? "offline" : "reconnecting", navigator.onLine === false ? t("offline") : t("reconnecting"));
    retryTimer = setTimeout(function () { connect(freshToken); }, delay);
  }

  function stop(state) {
    stopped = true;
    clearTimeout(retryTimer);
    status(state, t(state));
  }

  window.addEventListener("online", function () {
    if (!socket && !stopped) connect(false);
  });
  window.addEventListener("offline", function () {
    if (socket) socket.close();
  });

  // --- projector mode -------------------------------------------------

  var toggle = $("live-projector");
  function setProjector(on) {
    root.classList.toggle("projector", on);
    toggle.textContent = on ? t("projector-off") : t("projector");
    toggle.setAttribute("href", location.pathname + (on ? "" : "?projector=1"));
    var url = location.pathname + (on ? "?projector=1" : "");
    history.replaceState(null, "", url);
    drawChart();
  }
  toggle.setAttribute("role", "button");
  toggle.addEventListener("click", function (ev) {
    ev.preventDefault();
    setProjector(!root.classList.contains("projector"));
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && root.classList.contains("projector")) setProjector(false);
  });

  // The time axis moves on even when nobody arrives.
  setInterval(drawChart, 30000);
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawChart, 150);
  });
  drawChart();
  connect(false);
})();
