// Keeps what an executive types into the insight form in this browser until it is
// logged, so a session that timed out (or a closed tab) loses nothing: after signing in
// again the form comes back filled in.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-key]");
  if (!form || !window.localStorage) { return; }
  var key = form.dataset.draftKey;
  var params = new URLSearchParams(window.location.search);
  if (params.has("logged")) { localStorage.removeItem(key); }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "submit";
    });
  }
  function save() {
    var draft = {};
    fields().forEach(function (el) { draft[el.name] = el.type === "checkbox" ? el.checked : el.value; });
    localStorage.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), fields: draft }));
  }

  var stored = localStorage.getItem(key);
  // A form the server sent back with errors already holds what was typed.
  if (stored && !form.dataset.bound) {
    try {
      var draft = JSON.parse(stored).fields || {};
      var restored = false;
      fields().forEach(function (el) {
        if (!(el.name in draft)) { return; }
        if (el.type === "checkbox") { el.checked = !!draft[el.name]; } else { el.value = draft[el.name]; }
        restored = restored || (el.type !== "checkbox" && draft[el.name] !== "");
      });
      var note = document.getElementById("draft-note");
      if (restored && note) { note.hidden = false; }
    } catch (e) { localStorage.removeItem(key); }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      localStorage.removeItem(key);
      form.reset();
      document.getElementById("draft-note").hidden = true;
    });
  }
})();
