"""Secret-shaped text: a corpus of lines that must warn and lines that must not."""

from __future__ import annotations

import pytest

from apps.runbooks import secrets

WARNS = [
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----", "a private key"),
    ("export OPENAI_API_KEY=sk-proj-Qm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA", "an OpenAI-style API key"),
    ("curl -H 'Authorization: Bearer sk-ant-api03-abcdefghijklmnopqrstu'", "an OpenAI-style API key"),
    ("git clone https://ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R@github.com/x/y", "a GitHub token"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
    ("Slack bot: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "a Slack token"),
    (
        "https://discord.com/api/webhooks/123456789012345678/AbCdEf_GhIjKlMnOpQrStUvWxYz0123456789",
        "a Discord webhook address",
    ),
    ("rsync rsync://backup:Hunter2Pass@nas.home.arpa/module", "a password in a URL"),
    ("password: hunter2", "a password"),
    ("NAS admin password: Tr0ub4dor&3", "a password"),
    ("mysql --user=root --passwd=s3cr3t!", "a password"),
    ("PASSWORD=correcthorse", "a password"),
    ("The Wi-Fi password is BlueFrog42.", "a password"),
    ("api_key = 9f8e7d6c5b4a", "a password"),
    ("token: Zx81Qp0LmN7vB2cR9tY4uW6sE3dF5gH1", "a password"),
    ("HOMEOPS_TOKEN Zx81Qp0LmN7vB2cR9tY4uW6sE3dF5gH1jK8lM0", "a long random token"),
]

QUIET = [
    # checksums, identifiers and addresses
    "sha256sum -c dsm.pat.sha256  # 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "docker pull ghcr.io/n8n-io/n8n@sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "The heartbeat's ping URL is /ping/6f1c0b9e-2a43-4c8e-9d5f-7b1e2c3d4a5b",
    "Open https://nas.home.arpa:5001/webapi/entry.cgi?api=SYNO.Core.System&method=info",
    "Forgejo: http://nas.home.arpa:3000/household/homeops/src/branch/main/deploy/README.md",
    "cd /volume1/photos/2024/Summer/HolidayInTheMountains",
    # pointers and prose
    "NAS admin: password manager, vault Home, item DSM",
    "The password is in the password manager (vault Home, item Studio).",
    "password: in 1Password, vault Home, item Router",
    "Password: see the red envelope in the office safe",
    "Open the password manager and find the NAS entry.",
    "Passwords are kept in Bitwarden; never write them here.",
    "password_env: HOMEOPS_NAS_PASSWORD",
    "password: ********",
    "password: <the router's admin password>",
    "password: $NAS_PASSWORD",
    "The token is valid for a year.",
    "PIN: 4 digits",
    "Ask the owner for the password.",
    # ordinary commands
    "ollama pull qwen2.5:14b-instruct-q4_K_M",
    "brew services restart ollama && launchctl kickstart -k gui/501/com.ollama.ollama",
    "- [ ] Restart the service with `sudo systemctl restart homeops-web`",
    "ThisIsAVeryLongCamelCaseIdentifierName",
]


@pytest.mark.parametrize(("line", "what"), WARNS)
def test_a_secret_shaped_line_warns(line, what):
    found = secrets.find(f"Some steps\n\n{line}\n")
    assert [(f.line, f.what) for f in found] == [(3, what)]


@pytest.mark.parametrize("line", QUIET)
def test_an_ordinary_line_does_not_warn(line):
    assert secrets.find(line) == []


def test_the_warning_does_not_repeat_the_secret_whole():
    finding = secrets.find("password: Tr0ub4dor&3-horse")[0]
    assert "Tr0ub4dor&3-horse" not in finding.text and "•••" in finding.text
    assert str(finding).startswith("Line 1 looks like it holds a password")


def test_a_private_key_block_is_one_finding():
    body = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "-----END OPENSSH PRIVATE KEY-----\nThen:"
    )
    assert [f.line for f in secrets.find(body)] == [1]
