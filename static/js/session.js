// Idle sign-out: warn before the server ends an idle session, keep it alive while the user is
// actually working (typing a long note makes no requests), and reload when the time is up so
// an unattended screen does not keep showing client information.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds"), 10);
  var warningSeconds = parseInt(body.getAttribute("data-idle-warning-seconds"), 10);
  var keepaliveUrl = body.getAttribute("data-keepalive-url");
  if (!idleSeconds || !keepaliveUrl) { return; }

  var warning = document.getElementById("session-warning");
  var countdown = document.getElementById("session-warning-countdown");
  var stay = document.getElementById("session-warning-stay");
  var lastServerContact = Date.now();   // the page load itself was a request
  var lastUserActivity = Date.now();
  var pinging = false;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function ping() {
    if (pinging) { return; }
    pinging = true;
    fetch(keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.redirected || response.status !== 204) {
        window.location.reload();   // the server already ended the session
        return;
      }
      lastServerContact = Date.now();
      hideWarning();
    }).finally(function () { pinging = false; });
  }

  function hideWarning() {
    if (warning && !warning.hidden) { warning.hidden = true; }
  }

  function showWarning(secondsLeft) {
    if (!warning) { return; }
    var minutes = Math.floor(secondsLeft / 60);
    var seconds = secondsLeft % 60;
    countdown.textContent = minutes > 0
      ? minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s"
      : seconds + " s";
    if (warning.hidden) {
      warning.hidden = false;
      stay.focus();
    }
  }

  ["keydown", "pointerdown", "input", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { lastUserActivity = Date.now(); }, { passive: true });
  });
  if (stay) { stay.addEventListener("click", function () { lastUserActivity = Date.now(); ping(); }); }

  window.setInterval(function () {
    var now = Date.now();
    var idleFor = (now - lastServerContact) / 1000;
    var activeSinceContact = lastUserActivity > lastServerContact;
    // While someone is working on the page, tell the server at most once a minute.
    if (activeSinceContact && idleFor > 60 && (warning === null || warning.hidden)) {
      ping();
      return;
    }
    var left = Math.ceil(idleSeconds - idleFor);
    if (left <= 0) {
      window.location.reload();
    } else if (left <= warningSeconds) {
      showWarning(left);
    }
  }, 1000);
})();
