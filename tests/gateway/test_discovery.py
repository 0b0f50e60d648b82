"""Model lists are discovered in the background (never on the request path) and shown
against what the routes ask for."""

from __future__ import annotations

import pytest

from apps.gateway import services, tasks
from apps.gateway.models import Backend
from tests.fixtures.ports import free_port
from tests.gateway.conftest import make_backend, make_route

pytestmark = pytest.mark.django_db


def test_the_background_task_refreshes_every_backend(llm, ollama):
    openai_like = make_backend("studio-mlx", llm)
    make_backend("studio", ollama)
    make_route("assistant", (openai_like, "qwen2.5:14b"), (openai_like, "llama3.1:8b"))
    tasks.refresh_models()
    assert Backend.objects.get(name="studio-mlx").model_names == ["llama3.1:8b", "llama3.2:3b"]
    assert Backend.objects.get(name="studio").model_names == ["llama3.1:8b", "llama3.2:3b"]
    assert services.missing_models(Backend.objects.get(name="studio-mlx")) == ["qwen2.5:14b"]


def test_a_backend_that_does_not_answer_keeps_its_last_list(llm):
    backend = make_backend("studio", llm)
    services.backend_refresh_models(backend)
    llm.stop()
    problem = services.backend_refresh_models(backend)
    backend.refresh_from_db()
    assert problem == "refused the connection (nothing is listening there)" and backend.models_error == problem
    assert backend.model_names == ["llama3.1:8b", "llama3.2:3b"]


def test_a_wrong_key_is_said_plainly(llm):
    llm.api_key = "sk-right"
    backend = make_backend("studio", llm, api_key_env="HOMEOPS_TEST_UNSET_KEY")
    assert services.discover_models(backend) == ([], "the environment variable HOMEOPS_TEST_UNSET_KEY is not set")
    services.backend_set_key(backend, "sk-wrong")
    backend.api_key_env = ""
    assert services.discover_models(backend) == (
        [],
        "answered 401 (the API key was refused): Incorrect API key provided",
    )
    assert (
        services.discover_models(
            Backend(name="x", kind="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", timeout=2)
        )[1]
        == "refused the connection (nothing is listening there)"
    )


def test_a_name_that_does_not_resolve_is_said_in_words_on_the_owners_page():
    """It read "cannot connect: [Errno -2] Name or service not known"."""
    backend = Backend(name="x", kind="openai", base_url="http://studio.invalid/v1", timeout=5)
    problem = services.discover_models(backend)[1]
    assert problem == "could not be found on the network (the name does not resolve)"
