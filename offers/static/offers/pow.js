// Self-hosted proof of work for the public contact form (ALTCHA-style, no third party):
// find the number whose SHA-256 with the salt equals the challenge, then submit.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pow-challenge]");
  if (!form || !window.crypto || !window.crypto.subtle) { return; }
  var status = document.getElementById("pow-status");
  if (status) { status.hidden = false; }
  var field = form.querySelector("input[name=pow]");
  var challenge = JSON.parse(form.getAttribute("data-pow-challenge"));
  var encoder = new TextEncoder();
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  async function solve() {
    for (var n = 0; n <= challenge.maxnumber; n++) {
      var digest = await window.crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
      if (hex(digest) === challenge.challenge) {
        return btoa(JSON.stringify({algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
                                    salt: challenge.salt, signature: challenge.signature}));
      }
    }
    return "";
  }
  var solving = solve().then(function (payload) {
    field.value = payload;
    if (status) { status.textContent = status.getAttribute("data-done"); }
    return payload;
  });
  form.addEventListener("submit", function (event) {
    if (field.value) { return; }
    event.preventDefault();
    solving.then(function () { form.submit(); });
  });
})();
