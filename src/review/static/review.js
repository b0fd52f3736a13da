// Sizes each body frame to its content, so a thread reads like a page. The frames are
// sandboxed without allow-scripts: nothing inside them runs. allow-same-origin lets this
// script, the page's own, read how tall their content is.
"use strict";
function fit(frame) {
  try {
    var doc = frame.contentDocument;
    if (doc && doc.documentElement) {
      frame.style.height = (doc.documentElement.scrollHeight + 2) + "px";
      frame.classList.add("fitted");
    }
  } catch (e) { /* a frame that is not ours stays as it is */ }
}
document.addEventListener("load", function (event) {
  if (event.target && event.target.tagName === "IFRAME") { fit(event.target); }
}, true);
window.addEventListener("load", function () {
  document.querySelectorAll("iframe.body").forEach(fit);
});
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("iframe.body").forEach(function (f) { f.loading = "eager"; fit(f); });
});
