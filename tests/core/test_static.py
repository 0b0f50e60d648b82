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


def test_every_page_names_an_icon_and_a_manifest_whose_icons_exist(client, django_user_model, settings):
    import re
    from pathlib import Path

    from PIL import Image

    page = client.get("/accounts/login/").content.decode()
    links = dict(re.findall(r'<link rel="(icon|apple-touch-icon|manifest)" href="/static/([^"]+)"', page))
    assert set(links) == {"icon", "apple-touch-icon", "manifest"}
    static = Path(settings.BASE_DIR) / "static"
    manifest = json.loads((static / links["manifest"]).read_text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        path = static / Path(links["manifest"]).parent / icon["src"]
        if icon["type"] == "image/png":  # the size a phone is promised is the size it gets
            width, height = Image.open(path).size
            assert f"{width}x{height}" == icon["sizes"]
        else:
            assert path.read_text().startswith("<svg")
    assert Image.open(static / links["apple-touch-icon"]).size == (180, 180)
