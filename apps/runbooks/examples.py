"""Example runbooks for the example household (`manage.py bootstrap --example`, make run's
first run): the reference stack's everyday troubles. Linked to the example's hosts and
services by name when they exist; saved through runbook_save as revision 1 (source: example).
Idempotent: a runbook whose slug exists is left alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apps.runbooks import services
from apps.runbooks.models import Audience, Revision, Runbook
from apps.status.models import Host, Service

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    audience: str
    tags: list[str]
    hosts: list[str]
    services: list[str]
    body: str
    review_days: int = 180


EXAMPLES = [
    Example(
        slug="restart-ollama",
        title="Restart Ollama on the Studio",
        audience=Audience.CARETAKER,
        tags=["studio", "chat"],
        hosts=["Studio"],
        services=["studio-ollama"],
        review_days=90,
        body="""\
The family's assistant runs on **Ollama** on the Mac Studio in the office. When
"Chat assistant (Studio)" is Down on the status board, the chat still works on the MacBook's
smaller model, only slower and less clever. This gets the Studio back.

**You need:** the Studio's login (*Studio login: password manager, vault Home, item Studio*).

## Steps

- [ ] Look at the status board: is only "Chat assistant (Studio)" Down, or the MLX server too?
      Both down means the Studio itself is off or asleep: press its power button once and wait two minutes.
- [ ] On the Studio, click the llama icon in the menu bar and choose **Quit Ollama**.
- [ ] Open **Ollama** from the Applications folder; the llama icon comes back.
- [ ] Wait one minute, then reload the status board: "Chat assistant (Studio)" should be Up.
- [ ] Ask the chat a short question to check the answer comes from the Studio (no "fallback" note).
- [ ] Still Down after five minutes: restart the Studio (Apple menu → Restart) and wait five more.

## Good to know

- Nothing is lost by restarting: conversations live on the NAS, not on the Studio.
- If the Studio's fan is loud and it is hot, leave it off for ten minutes before starting it again.
""",
    ),
    Example(
        slug="nas-full",
        title="The NAS is full",
        audience=Audience.HOUSEHOLD,
        tags=["nas", "storage"],
        hosts=["NAS"],
        services=["nas", "nas-snapshot"],
        body="""\
When the NAS's volume is over 90 % full, DSM sends a warning and snapshots start to fail
(the "NAS snapshots" heartbeat goes late). Over 95 %, apps on the NAS slow down.

**You need:** the NAS admin sign-in (*NAS admin: password manager, vault Home, item DSM*).

## Steps

- [ ] Sign in to DSM and open **Storage Manager**: note how full the volume is.
- [ ] Open **Storage Analyzer** (or File Station → Properties on each shared folder) to see what grew.
- [ ] Empty the recycle bins: Control Panel → Shared Folder → Action → **Empty all Recycle Bins**.
- [ ] In **Snapshot Replication**, check the retention: keep 30 daily snapshots, not more.
- [ ] Delete old camera uploads or downloads only after asking whose they are.
- [ ] Check the volume is under 85 % and the "NAS snapshots" heartbeat is Up again the next morning.

## If it is still full

- A new disk is the fix, not deleting family photos: see "Replace a disk" and plan a bigger one.
""",
    ),
    Example(
        slug="ups-on-battery",
        title="The UPS is on battery",
        audience=Audience.CARETAKER,
        tags=["power", "ups"],
        hosts=["NAS"],
        services=["nas"],
        review_days=365,
        body="""\
The UPS under the desk in the closet keeps the NAS, the router and the switch running when
the power fails. It beeps every few seconds while on battery, and Discord gets an alert.
The NAS shuts itself down cleanly after **5 minutes** on battery (NUT tells it to).

## Steps

- [ ] Check whether the power is out in the whole house or only on one circuit (the fuse box is in the hall).
- [ ] Only one circuit tripped: reset it once. It trips again? Leave it off and call the electrician.
- [ ] Whole house or street: leave the NAS alone; it shuts itself down.
- [ ] Switch off the Studio by hand (Apple menu → Shut Down): it has no battery behind it.
- [ ] When the power is back, wait five minutes: the router and the NAS start by themselves.
- [ ] Start the Studio and the Mac mini with their power buttons if they did not start.
- [ ] Open the status board: everything should be Up within ten minutes.
- [ ] Check the UPS display says it is charging, and silence the beeping if it continues (the mute button, hold 3 s).

## Good to know

- The UPS battery is four years old in 2027; if the NAS shuts down after less than 3 minutes, it needs a new battery.
""",
    ),
    Example(
        slug="restore-from-snapshot",
        title="Restore a file from a Synology snapshot",
        audience=Audience.HOUSEHOLD,
        tags=["backup", "nas"],
        hosts=["NAS"],
        services=["nas", "nas-snapshot", "offsite-backup"],
        review_days=90,
        body="""\
The NAS takes a snapshot of every shared folder each night and keeps 30 of them. A deleted
or overwritten file can be copied back from any of those nights, without the owner.

**You need:** the NAS admin sign-in (*NAS admin: password manager, vault Home, item DSM*), and the
name and folder of what was lost.

## Steps

- [ ] Ask when the file was last right: the restore takes the snapshot from the night before.
- [ ] Sign in to DSM and open **File Station**.
- [ ] Go to the folder the file was in, right-click it, and choose **Browse previous versions**.
- [ ] Pick the snapshot from before the problem, select the file, and click **Copy to**.
- [ ] Copy it into a new folder named `restored-` and today's date, never over the current file.
- [ ] Open the copy and check it is the right one; then move it where it belongs.
- [ ] Nothing in 30 days of snapshots? Ask the owner: the off-site backup (Hyper Backup) keeps a year.

## Quarterly exercise

Restore one random photo this way every quarter and note it in a run, so we know it works.
""",
    ),
    Example(
        slug="chat-is-down",
        title="The chat is down",
        audience=Audience.CARETAKER,
        tags=["chat", "portal"],
        hosts=["Studio", "MacBook", "NAS"],
        services=["studio-ollama", "macbook-ollama", "nas"],
        body="""\
The home page says the assistant is offline, or the chat answers with an error. The chat
needs the portal (on the NAS) and one of the model servers: the Studio, or the MacBook as the fallback.

## Steps

- [ ] Open the status board (it works without the chat) and read the sentence at the top.
- [ ] "NAS is down": after a power cut, follow "The UPS is on battery"; else check the NAS's lights.
- [ ] "Chat assistant (Studio)" Down: follow "Restart Ollama on the Studio"; the MacBook answers meanwhile.
- [ ] Both model servers down: open the MacBook and start Ollama on it, so the family has an assistant.
- [ ] The board does not open at all: the portal itself is down. Restart the NAS from DSM (power icon).
- [ ] DSM does not open either: hold the NAS's power button for 4 seconds, wait, and press it again.
- [ ] Ask a question in the chat and check an answer arrives.
- [ ] Write in the run's notes what was down and what brought it back.
""",
    ),
]


def create(author: User | None = None) -> int:
    """Idempotent: the examples whose slug is not taken yet; returns how many were made."""
    made = 0
    for example in EXAMPLES:
        if Runbook.objects.filter(slug=example.slug).exists():
            continue
        runbook = Runbook(
            slug=example.slug,
            title=example.title,
            audience=example.audience,
            tags=example.tags,
            body=example.body,
            review_days=example.review_days,
        )
        services.runbook_save(
            runbook,
            author=author,
            source=Revision.Source.EXAMPLE,
            note="Example runbook",
            hosts=Host.objects.filter(name__in=example.hosts),
            services=Service.objects.filter(name__in=example.services),
        )
        made += 1
    return made
