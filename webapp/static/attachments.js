// Attachments on the ticket and comment forms: choose, paste a screenshot (Ctrl+V) or drop files;
// thumbnails show what will be sent. Pasted images get a file name of their own.
(function () {
  const zone = document.querySelector("[data-dropzone]");
  if (!zone || typeof DataTransfer === "undefined") return;
  const input = zone.querySelector("input[type=file]");
  const thumbs = zone.querySelector("[data-thumbs]");
  let files = [];
  function stamp() {
    const d = new Date(), p = n => String(n).padStart(2, "0");
    return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  }
  function sync() {
    const transfer = new DataTransfer();
    files.forEach(f => transfer.items.add(f));
    input.files = transfer.files;
    thumbs.querySelectorAll("li.new").forEach(li => li.remove());
    files.forEach((file, i) => {
      const li = document.createElement("li");
      li.className = "new";
      if (file.type.startsWith("image/")) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        li.appendChild(img);
      }
      li.appendChild(document.createTextNode(" " + file.name + " "));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "✕";
      remove.setAttribute("aria-label", file.name);
      remove.addEventListener("click", () => { files.splice(i, 1); sync(); });
      li.appendChild(remove);
      thumbs.appendChild(li);
    });
  }
  function add(list, pasted) {
    for (const file of list) {
      if (pasted && file.type.startsWith("image/")) {
        const ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
        files.push(new File([file], `screenshot-${stamp()}-${files.length + 1}.${ext}`, {type: file.type}));
      } else {
        files.push(file);
      }
    }
    sync();
  }
  input.addEventListener("change", () => add(Array.from(input.files), false));
  document.addEventListener("paste", e => {
    const pasted = Array.from(e.clipboardData ? e.clipboardData.files : []);
    if (pasted.length) { e.preventDefault(); add(pasted, true); }
  });
  zone.addEventListener("dragover", e => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", e => { e.preventDefault(); zone.classList.remove("over"); add(Array.from(e.dataTransfer.files), false); });

})();
