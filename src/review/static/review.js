// The page's one script. It sizes each body frame to its content, so a thread reads like a
// page, and makes the frames the page leaves waiting (div.body.pending, the body in
// data-body) as the reader comes near them, then the rest while the browser is idle: every
// frame is a whole document, and two hundred at once would hold the page for a second. The
// frames are sandboxed without allow-scripts: nothing inside them runs; allow-same-origin lets
// this script read how tall their content is. A body goes in as the frame's srcdoc property,
// never through this page's own HTML parser.
"use strict";
function fit(frame) {
  try {
    var doc = frame.contentDocument;
    if (doc && doc.documentElement && frame.hasAttribute("srcdoc")) {
      frame.style.height = (doc.documentElement.scrollHeight + 2) + "px";
      frame.classList.add("fitted");
    }
  } catch (e) { /* a frame that is not ours stays as it is */ }
}
function make(pending) {
  if (!pending.parentNode) { return; }
  var thread = pending.closest("ol.thread");
  var frame = document.createElement("iframe");
  frame.className = "body";
  frame.setAttribute("sandbox", "allow-same-origin");
  frame.title = pending.dataset.title || "";
  frame.srcdoc = (thread ? thread.dataset.head : "") + (pending.dataset.body || "");
  pending.replaceWith(frame);
}
function waiting() { return document.querySelectorAll("div.body.pending"); }
var near = null;
document.addEventListener("load", function (event) {
  if (event.target && event.target.tagName === "IFRAME") { fit(event.target); }
}, true);
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("iframe.body").forEach(fit);
  near = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { near.unobserve(e.target); make(e.target); } });
  }, { rootMargin: "1500px 0px" });
  waiting().forEach(function (p) { near.observe(p); });
});
window.addEventListener("load", function () {
  document.querySelectorAll("iframe.body").forEach(fit);
  // Then the rest, a few at a time, so that printing or searching the page finds every body.
  (function more() {
    var left = waiting();
    for (var i = 0; i < Math.min(6, left.length); i++) { make(left[i]); }
    if (left.length > 6) { setTimeout(more, 50); }
  })();
});
window.addEventListener("beforeprint", function () { waiting().forEach(make); });
