(function () {
  "use strict";
  function decode(text, Type) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new Type(bytes.buffer);
  }
  function setup(root) {
    var data = JSON.parse(root.querySelector("[data-role=data]").textContent);
    var find = function (role) { return root.querySelector("[data-role=" + role + "]"); };
    var slider = find("slider"), canvas = find("canvas"), play = find("play");
    var centers = find("centers"), trails = find("trails"), marker = find("marker");
    var points = decode(data.points, Float32Array);
    var frames = data.frames, labels = [decode(data.labels0, Int32Array)];
    for (var t = 1; t < frames.length; t++) {
      var next = labels[t - 1].slice();
      var changed = decode(frames[t].changed, Int32Array);
      var changedTo = decode(frames[t].changed_to, Int32Array);
      for (var i = 0; i < changed.length; i++) next[changed[i]] = changedTo[i];
      labels.push(next);
    }
    var width = data.size[0], height = data.size[1];
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var context = canvas.getContext("2d");
    var svgNS = centers.namespaceURI;
    var sameCount = frames.every(function (f) {
      return f.centers.length === frames[0].centers.length;
    });
    function color(label) {
      return label < 0 ? data.no_label_color : data.colors[label % data.colors.length];
    }
    function drawPoints(frameLabels) {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      context.globalAlpha = 0.65;
      for (var i = 0; i < frameLabels.length; i++) {
        context.fillStyle = color(frameLabels[i]);
        context.fillRect(points[2 * i] - 1.5, points[2 * i + 1] - 1.5, 3, 3);
      }
      context.globalAlpha = 1;
    }
    function drawCenters(t) {
      var frame = frames[t];
      while (centers.childNodes.length > frame.centers.length) {
        centers.removeChild(centers.lastChild);
      }
      frame.centers.forEach(function (c, j) {
        var circle = centers.childNodes[j];
        if (!circle) {
          circle = document.createElementNS(svgNS, "circle");
          circle.setAttribute("class", "center");
          circle.setAttribute("r", "7");
          centers.appendChild(circle);
        }
        circle.setAttribute("data-cluster", String(j));
        circle.setAttribute("fill", color(j));
        circle.setAttribute("cx", String(c[0]));
        circle.setAttribute("cy", String(c[1]));
      });
      while (trails.firstChild) trails.removeChild(trails.firstChild);
      if (!sameCount || t === 0) return;
      frame.centers.forEach(function (c, j) {
        var line = document.createElementNS(svgNS, "polyline");
        var coords = [];
        for (var s = 0; s <= t; s++) coords.push(frames[s].centers[j].join(","));
        line.setAttribute("points", coords.join(" "));
        trails.appendChild(line);
      });
    }
    function show(t) {
      var frame = frames[t];
      drawPoints(labels[t]);
      drawCenters(t);
      ["label", "inertia", "n_changed", "center_shift", "relocated"].forEach(function (key) {
        var element = find(key);
        if (element) element.innerHTML = frame[key];
      });
      if (marker) {
        marker.style.display = frame.marker ? "" : "none";
        if (frame.marker) {
          marker.setAttribute("cx", String(frame.marker[0]));
          marker.setAttribute("cy", String(frame.marker[1]));
        }
      }
    }
    var timer = null;
    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      play.textContent = "Play";
      play.setAttribute("aria-pressed", "false");
    }
    function step() {
      var t = Number(slider.value);
      if (t >= frames.length - 1) { stop(); return; }
      slider.value = String(t + 1);
      show(t + 1);
    }
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (Number(slider.value) >= frames.length - 1) { slider.value = "0"; show(0); }
      play.textContent = "Pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(step, 700);
    });
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    show(Number(slider.value));
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-replay]"), setup);
})();
