// A few lines of our own JavaScript (no build step, nothing from outside): every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "select all" checkbox on the review list
  document.querySelectorAll("input[data-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + all.dataset.all + '"]').forEach(function (b) { b.checked = all.checked; });
    });
  });
  // on a phone a result table is a stack of cards: each cell says which column it is
  document.querySelectorAll("table.results").forEach(function (table) {
    var heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.from(tr.children).forEach(function (td, i) {
        if (heads[i] && !td.hasAttribute("data-label") && !td.hasAttribute("colspan")) td.setAttribute("data-label", heads[i]);
      });
    });
  });
  // page images (OFD, scans): zoom in and out
  var pages = document.getElementById("pages"), scale = 1;
  document.querySelectorAll("button[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var step = Number(b.dataset.zoom);
      if (scale === 1) pages.querySelectorAll("img").forEach(function (img) { img.dataset.base = img.clientWidth; });
      scale = step === 0 ? 1 : Math.max(0.25, Math.min(4, scale * (step > 0 ? 1.5 : 1 / 1.5)));
      pages.classList.toggle("zoomed", scale !== 1);
      pages.querySelectorAll("img").forEach(function (img) {
        img.style.width = scale === 1 ? "" : Math.round(Number(img.dataset.base) * scale) + "px";
      });
    });
  });
  document.querySelectorAll(".pick input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var shown = input.parentNode.querySelector(".chosen");
      shown.textContent = input.files.length ? input.files[0].name : shown.dataset.none;
    });
  });
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  });

  // filing: send the files one by one and show each outcome as soon as the pipeline gives it
  var form = document.getElementById("upload");
  if (!form) return;
  var input = document.getElementById("files"), drop = document.getElementById("drop");
  var rows = document.getElementById("outcome-rows"), progress = document.getElementById("progress");
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  var chosen = document.getElementById("chosen");
  function showChosen() {
    var names = Array.from(input.files).map(function (f) { return f.name; });
    chosen.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : "可一次选择多个文件";
  }
  input.addEventListener("change", showChosen);
  drop.addEventListener("drop", function (e) { input.files = e.dataTransfer.files; showChosen(); });
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    var files = Array.from(input.files), csrf = form.elements.csrf.value;
    form.querySelector("button").disabled = true;
    for (var i = 0; i < files.length; i++) {
      progress.textContent = "正在处理 " + (i + 1) + "/" + files.length + "：" + files[i].name + " …";
      var data = new FormData();
      data.append("csrf", csrf);
      data.append("files", files[i]);
      try {
        var resp = await fetch("/file", { method: "POST", body: data, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
        var html = await resp.text();
        if (resp.ok) { rows.insertAdjacentHTML("beforeend", html); }
        else {
          var tr = document.createElement("tr"), msg = new DOMParser().parseFromString(html, "text/html").querySelector(".error");
          tr.dataset.outcome = "failed";
          [files[i].name, "未接收", "", "", msg ? msg.textContent : ("HTTP " + resp.status)].forEach(function (t) {
            var td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
          });
          rows.appendChild(tr);
        }
      } catch (err) {
        progress.textContent = "网络错误：" + err;
      }
    }
    progress.textContent = "完成 " + files.length + " 个文件";
    progress.dataset.done = "1";
    form.querySelector("button").disabled = false;
    form.reset();
    showChosen();
  });
});
