// The route form (templates/gateway/manage/route_form.html): each target's model box offers
// the chosen backend's models, and says when that backend has none or lacks the typed one.
// Without this file the box offers every backend's models, each labelled with its backend.
for (const target of document.querySelectorAll("fieldset.target")) {
  const backend = target.querySelector("select[name$='-backend']");
  const model = target.querySelector("input[name$='-model']");
  const note = target.querySelector("[data-model-note]");
  if (!backend || !model || !note) continue;
  const update = () => {
    const list = document.getElementById(`models-${backend.value}`);
    model.setAttribute("list", list ? list.id : "known-models");
    const names = list ? [...list.options].map((option) => option.value) : [];
    const typed = model.value.trim();
    let text = "";
    if (list && !names.length) {
      text = list.dataset.none;
    } else if (list && typed && !names.includes(typed) && !names.includes(`${typed}:latest`)) {
      text = `${typed} ${list.dataset.missing}`;
    }
    note.textContent = text;
    note.hidden = !text;
  };
  backend.addEventListener("change", update);
  model.addEventListener("change", update);
  update();
}
