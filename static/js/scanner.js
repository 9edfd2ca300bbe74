// Camera scanning of ticket QR codes, for the staff check-in page and the checkpoint stations.
//
// A box marked data-camera-scan="<form id>" gets a "Scan with the camera" button. Frames are decoded by
// the browser's BarcodeDetector where it reads QR codes (Chrome on Android), otherwise by the vendored
// jsQR on a canvas (iOS Safari, WeChat, desktop Chromium). The decoded text goes into the form's
// [data-scan-target] field and the form is sent as if its submit button were pressed. Without camera
// access the box stays hidden and people type or paste the code.
(function () {
  "use strict";

  var boxes = document.querySelectorAll("[data-camera-scan]");
  if (!boxes.length || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) {
      return null;
    }
    try {
      return new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      return null;
    }
  }

  function setup(box) {
    var form = document.getElementById(box.getAttribute("data-camera-scan"));
    if (!form) {
      return;
    }
    var input = form.querySelector("[data-scan-target]");
    var submitButton = form.querySelector("[type=submit]");
    var video = box.querySelector("[data-camera-view]");
    var start = box.querySelector("[data-camera-start]");
    var stop = box.querySelector("[data-camera-stop]");
    var status = box.querySelector("[data-camera-status]");
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var detector = null;
    if (!input || !video || !start || !stop) {
      return;
    }
    if (!nativeDetector() && typeof window.jsQR !== "function") {
      return;
    }
    box.hidden = false;

    function halt() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function decode() {
      if (detector) {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      }
      var width = video.videoWidth;
      var height = video.videoHeight;
      if (!width || !height) {
        return Promise.resolve(null);
      }
      var scale = Math.min(1, 800 / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
      return Promise.resolve(code ? code.data : null);
    }

    function look() {
      if (!stream) {
        return;
      }
      decode().then(function (text) {
        if (text) {
          input.value = text;
          halt();
          if (status) {
            status.textContent = box.getAttribute("data-camera-read") || "";
          }
          if (form.requestSubmit) {
            form.requestSubmit(submitButton || undefined);
          } else {
            form.submit();
          }
        } else {
          window.setTimeout(look, 200);
        }
      }).catch(function () {
        window.setTimeout(look, 500);
      });
    }

    start.addEventListener("click", function () {
      detector = nativeDetector();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        if (status) {
          status.textContent = "";
        }
        return video.play();
      }).then(look).catch(function () {
        halt();
        if (status) {
          status.textContent = box.getAttribute("data-camera-denied") || "";
        }
      });
    });
    stop.addEventListener("click", halt);
    window.addEventListener("pagehide", halt);
  }

  boxes.forEach(setup);
})();
