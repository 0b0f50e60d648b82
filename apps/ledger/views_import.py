"""The owner's import pages (upload, map and preview, save) and the CSV exports. Thin: the
importers package reads and judges, services.import_batch_save writes."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import require
from apps.core.http import MemberRequest
from apps.core.uploads import megabytes
from apps.core.wording import plural
from apps.ledger import exports, services
from apps.ledger.forms_import import MappingForm, UploadForm
from apps.ledger.importers import MAX_BYTES, FileProblem, reader_for
from apps.ledger.importers.mapping import Mapping, guess
from apps.ledger.importers.preview import Preview, build
from apps.ledger.models import ImportBatch

# The upload with its multipart envelope; anything larger is refused before Django reads it.
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
RECENT = 10


@require("ledger")
def import_upload(request: MemberRequest) -> HttpResponse:
    status, refusal = 200, ""
    form = UploadForm()
    if request.method == "POST":
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        if not length.isdigit() or int(length) > UPLOAD_LIMIT:
            refusal = f"That file is too big: an export can be at most {megabytes(MAX_BYTES)}. Export a shorter period."
            status = 413
        else:
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                batch = services.import_batch_create(
                    by=request.user,
                    filename=form.cleaned_data["file"].name,
                    text=form.decoded.text,
                    encoding=form.decoded.encoding,
                    kind="csv",
                )
                return redirect("ledger:import_batch", batch.pk)
            status = 400
    batches = ImportBatch.objects.defer("content")[:RECENT]
    context = {"form": form, "batches": batches, "refusal": refusal}
    return render(request, "ledger/import/upload.html", context, status=status)


def _household() -> str:
    return services.household_currency()


def _preview(form: MappingForm) -> Preview | None:
    if not form.is_valid():
        return None
    mapping = form.mapping()
    return build(form.table, mapping, currency=mapping.currency)


@require("ledger")
def import_batch(request: MemberRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    if batch.status == ImportBatch.Status.SAVED:
        return _saved(request, batch)
    household = _household()
    try:
        table = reader_for(batch.mapping.get("kind", "csv")).table(batch.content)
    except FileProblem as problem:  # the reader's bounds changed since the upload
        messages.error(request, problem.message)
        return redirect("ledger:import")
    notes: list[str] = []
    if request.method == "POST":
        form = MappingForm(request.POST, table=table, household=household)
        if form.is_valid():
            batch.mapping = form.mapping().as_dict()
            batch.save(update_fields=["mapping"])
    else:
        mapping = Mapping.from_dict(batch.mapping) if batch.mapping.get("date") is not None else None
        if mapping is None:
            mapping = guess(table, currency=household)
            notes = mapping.notes
        form = MappingForm(MappingForm.initial_from(mapping, household), table=table, household=household)
    return _batch_page(request, batch, form, notes=notes)


def _batch_page(
    request: MemberRequest, batch: ImportBatch, form: MappingForm, *, notes: list[str], status: int = 200
) -> HttpResponse:
    preview = _preview(form)
    context = {
        "batch": batch,
        "form": form,
        "table": form.table,
        "preview": preview,
        "notes": notes,
        "household": form.household,
        "include_duplicates": request.POST.get("include_duplicates") == "on",
    }
    return render(request, "ledger/import/batch.html", context, status=status)


def _saved(request: MemberRequest, batch: ImportBatch) -> HttpResponse:
    charges = batch.charges.select_related("item").order_by("day", "pk")
    return render(request, "ledger/import/saved.html", {"batch": batch, "charges": charges})


@require("ledger")
@require_POST
def import_save(request: MemberRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    if batch.status == ImportBatch.Status.SAVED:
        messages.info(request, f"This file was already saved ({plural(batch.saved_rows, 'charge')}); nothing more was.")
        return redirect("ledger:import_batch", batch.pk)
    try:
        table = reader_for(batch.mapping.get("kind", "csv")).table(batch.content)
    except FileProblem as problem:
        messages.error(request, problem.message)
        return redirect("ledger:import")
    form = MappingForm(request.POST, table=table, household=_household())
    preview = _preview(form)
    if preview is None:
        messages.error(request, "Nothing was saved: the column choices need fixing first (see below).")
        return _batch_page(request, batch, form, notes=[], status=400)
    if preview.errors:
        messages.error(request, preview.refusal())
        return _batch_page(request, batch, form, notes=[], status=400)
    include = request.POST.get("include_duplicates") == "on"
    mapping = form.mapping()
    charges = preview.charges(include_duplicates=include, item_id=mapping.item, rate=mapping.rate)
    try:
        rows = preview.rows(include_duplicates=include)
        saved = services.import_batch_save(batch, charges=charges, mapping=mapping.as_dict(), rows=rows)
    except services.ChargeRowsInvalid as invalid:
        messages.error(request, f"Nothing was saved: {' '.join(invalid.messages)}")
        return _batch_page(request, batch, form, notes=[], status=400)
    if saved is None:
        messages.info(request, "This file was already saved; nothing more was.")
    else:
        messages.success(request, f"Saved {plural(saved, 'charge')}. {preview.summary(include_duplicates=include)}")
    return redirect("ledger:import_batch", batch.pk)


def _csv(name: str, lines: Iterator[str]) -> HttpResponse:
    # Built whole, not streamed: under ASGI Django would gather a synchronous iterator anyway
    # (and warn), and the rows read the database, which an async iterator could not.
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledger-{name}-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


@require("ledger")
def export_items(request: MemberRequest) -> HttpResponse:
    return _csv("items", exports.lines(exports.ITEM_HEADER, exports.item_rows()))


@require("ledger")
def export_charges(request: MemberRequest) -> HttpResponse:
    return _csv("charges", exports.lines(exports.CHARGE_HEADER, exports.charge_rows()))
