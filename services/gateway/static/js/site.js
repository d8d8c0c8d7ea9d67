/* Etalase Sultra: progressive enhancement only; every page works without it.
   - autocomplete: the header search box (#q) gets suggestions from /api/v1/suggest
     into its <datalist id="q-suggestions">;
   - share: a link with data-share-url uses the phone's share sheet when there is one;
   - sort: a <select data-autosubmit> sends its form when changed (its button is then hidden). */
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (box && list && window.fetch) {
    var timer = null, last = "";
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = box.value.trim();
        if (text.length < 2 || text.length > 50 || text === last) { return; }
        last = text;
        fetch("/api/v1/suggest?q=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
          .then(function (data) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (data.suggestions || []).slice(0, 10).forEach(function (s) {
              var option = document.createElement("option");
              option.value = String(s);
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-share-url]"), function (link) {
    if (!navigator.share) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      navigator.share({title: link.getAttribute("data-share-title") || document.title,
                       url: link.getAttribute("data-share-url")}).catch(function () {});
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (select) {
    var form = select.form;
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.hidden = true; });
    select.addEventListener("change", function () { form.submit(); });
  });
}());
