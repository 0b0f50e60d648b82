import json

from django.core.management import call_command


def test_production_static_files_collect_with_hashed_names(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in ("css/homeops.css", "js/homeops.js", "vendor/htmx/htmx.min.js"):
        hashed = manifest[name]
        assert hashed != name
        assert (tmp_path / "static" / hashed).exists()
        assert (tmp_path / "static" / f"{hashed}.gz").exists()  # whitenoise serves it compressed
    assert (tmp_path / "static" / "vendor/htmx/LICENSE").exists()
