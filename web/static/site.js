// NDS Autos: the least JavaScript that makes the pages nicer. Every page works
// without it; htmx (loaded before this file) swaps fragments where it helps.
(function () {
  "use strict";

  // Filter forms apply as soon as a choice changes (the button stays for keyboards and no-JS).
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-auto-submit]");
    if (form && event.target.type !== "text" && event.target.type !== "number") {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // Destructive actions ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // A conversation thread follows new messages through server-sent events; the
  // server sends each message already rendered.
  function followThread() {
    var list = document.querySelector("[data-live-thread]");
    if (!list || !window.EventSource) { return; }
    var source = new EventSource(list.getAttribute("data-live-thread"));
    source.addEventListener("message", function (event) {
      var holder = document.createElement("div");
      holder.innerHTML = event.data;
      var item = holder.firstElementChild;
      if (!item || document.getElementById(item.id)) { return; }
      list.appendChild(item);
      item.scrollIntoView({ block: "nearest" });
    });
    var hint = document.querySelector("[data-live-hint]");
    if (hint) { hint.hidden = false; }
  }

  // Stripe's Payment Element, where a page offers a payment.
  function mountPayment() {
    var holder = document.querySelector("[data-stripe-key]");
    if (!holder || !window.Stripe) { return; }
    var stripe = window.Stripe(holder.getAttribute("data-stripe-key"));
    var elements = stripe.elements({ clientSecret: holder.getAttribute("data-client-secret"), locale: document.documentElement.lang });
    elements.create("payment").mount(holder.querySelector("[data-payment-element]"));
    var form = holder.closest("form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: holder.getAttribute("data-return-url") } })
        .then(function (result) {
          if (result.error) { holder.querySelector("[data-payment-error]").textContent = result.error.message; }
        });
    });
  }

  // The panel's photo form: files may be dropped on it, and each file goes in its
  // own request with its own progress bar (the panel sends it on to the upload URL).
  // Without this script the form posts every file at once, which works too.
  function mountPhotoUpload() {
    var form = document.querySelector("form[data-photo-upload]");
    if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".upload-progress");
    var button = form.querySelector("button[type=submit]");
    var csrf = form.querySelector("input[name=csrf]").value;
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("dropping"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("dropping"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; }
    });
    function send(file, done) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100; bar.value = 0;
      item.appendChild(label); item.appendChild(bar);
      list.appendChild(item);
      var body = new FormData();
      body.append("csrf", csrf);
      body.append("photos", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
      });
      request.addEventListener("load", function () {
        var ok = request.status >= 200 && request.status < 300;
        bar.value = 100;
        item.className = ok ? "done" : "failed";
        if (!ok) {
          var page = new DOMParser().parseFromString(request.responseText, "text/html");
          var reason = page.querySelector(".notice-error li");
          label.textContent = reason ? reason.textContent : file.name;
        }
        done(ok);
      });
      request.addEventListener("error", function () { item.className = "failed"; done(false); });
      request.send(body);
    }
    form.addEventListener("submit", function (event) {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) { return; }
      event.preventDefault();
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy-label") || button.textContent;
      var sent = 0, failed = 0, next = 0, running = 0;
      // Three at a time: a phone on a slow link still sees steady progress.
      function pump() {
        while (running < 3 && next < files.length) {
          running += 1;
          send(files[next++], function (ok) {
            running -= 1;
            if (ok) { sent += 1; } else { failed += 1; }
            if (sent + failed === files.length) {
              if (!failed) { window.location.assign(form.action + "?uploaded=" + sent); }
              else { button.disabled = false; }
            } else { pump(); }
          });
        }
      }
      pump();
    });
  }

  function ready() { followThread(); mountPayment(); mountPhotoUpload(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
