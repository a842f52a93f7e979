// Enrolment form of a track: choosing the referral fills in its client and municipality (from the
// page's "referral-clients" data), so that the enrolment is the referred family. A field she typed
// into herself is left as she wrote it; without this script the server takes the referral's client
// when the family field is left empty.
(function () {
  "use strict";
  var data = document.getElementById("referral-clients");
  var select = document.getElementById("id_referral");
  if (!data || !select) { return; }
  var clients = JSON.parse(data.textContent);
  var fields = {family_label: document.getElementById("id_family_label"), municipality: document.getElementById("id_municipality")};
  var filled = {family_label: "", municipality: ""};  // what this script put in last
  Object.keys(fields).forEach(function (name) {
    var client = clients[select.value];
    if (fields[name] && client && fields[name].value === client[name]) { filled[name] = client[name]; }
  });
  select.addEventListener("change", function () {
    var client = clients[select.value] || {family_label: "", municipality: ""};
    Object.keys(fields).forEach(function (name) {
      var field = fields[name];
      if (!field || (field.value !== "" && field.value !== filled[name])) { return; }  // hers: keep it
      field.value = client[name] || "";
      filled[name] = field.value;
    });
  });
}());
