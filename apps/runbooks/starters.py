"""Ready-made beginnings for a new runbook ("New runbook" → pick one): a title, tags and a
step list to adapt. Steps are task-list items, so a run-through can tick them; secrets are
named by where they are kept, never written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Starter:
    key: str
    title: str
    tags: tuple[str, ...]
    summary: str
    body: str


STARTERS = [
    Starter(
        key="restart-service",
        title="Restart a service",
        tags=("restart",),
        summary="When one service on the status board is Down and its machine is up.",
        body="""\
Use this when **one service** is Down on the status board but the machine it runs on is up.
If the whole machine is off, start with that machine's power instead.

**You need:** a computer on the home network. Sign-in for the machine: *where it is kept*
(for example "Studio login: password manager, vault Home, item Studio").

## Steps

- [ ] Open the status board and note the service's name, its machine and what it says.
- [ ] Check the machine itself answers: open its page or ping it (`ping studio.home.arpa`).
- [ ] Restart the service (write the exact way here, e.g. `brew services restart ollama`).
- [ ] Wait two minutes, then reload the status board: the service should be Up again.
- [ ] If it is still Down, restart the whole machine once and wait five minutes.
- [ ] Still Down: stop here and message the owner with what the board says.

## Good to know

- Restarting is safe: the service picks up where it left off.
- Write down the time and what you did in the run's notes, so the owner can see it later.
""",
    ),
    Starter(
        key="restore-backup",
        title="Restore from backup",
        tags=("backup", "nas"),
        summary="Get a lost or damaged file or folder back from last night's backup.",
        body="""\
Use this when a file or folder was deleted or damaged and you need yesterday's copy.
Restore into a **new folder** first; never over the only copy you have left.

**You need:** the NAS admin sign-in (*where it is kept*, e.g. "NAS admin: password manager,
vault Home, item DSM") and the path of what was lost.

## Steps

- [ ] Find out what was lost: the folder, the file name, and when it was last right.
- [ ] Sign in to the NAS (DSM) in a browser.
- [ ] Open **Snapshot Replication → Snapshots**, choose the shared folder, and pick the
      newest snapshot from before the problem.
- [ ] Browse the snapshot, select the file or folder, and **Copy to** a new folder named
      `restored-YYYY-MM-DD`.
- [ ] Open the restored copy and check that it is the right one and opens.
- [ ] Move it back to where it belongs (keep the damaged one aside, renamed, for a week).
- [ ] If no snapshot has it, use **Hyper Backup → Restore** from the off-site copy instead.
- [ ] Note in the run what you restored and from which date.

## Good to know

- Snapshots are kept for 30 days; the off-site backup for a year.
""",
    ),
    Starter(
        key="update-model",
        title="Update a model",
        tags=("models", "studio"),
        summary="The monthly update of the assistant's models, with a way back.",
        body="""\
The monthly model update (1–2 hours). The household keeps chatting meanwhile: the
assistant falls back to the MacBook while the Studio is busy.

**You need:** a terminal on the Studio (sign-in: *where it is kept*).

## Steps

- [ ] Check the status board is all green before you start.
- [ ] Write down the models in use now: `ollama list` (keep the output in the run's notes).
- [ ] Read the release notes of the new model version: size, context length, licence.
- [ ] Pull the new version: `ollama pull qwen2.5:14b` (use the model's exact tag).
- [ ] Ask it three questions the family asks often and compare with the old answers.
- [ ] Point the gateway's route at the new tag under **Settings → Model gateway**, if the tag changed.
- [ ] Chat once from a phone to check the answer streams.
- [ ] Keep the old version for a week; then remove it: `ollama rm <old tag>`.

## If it goes wrong

- Point the route back at the old tag: nothing is lost until you remove it.
""",
    ),
    Starter(
        key="replace-disk",
        title="Replace a disk",
        tags=("nas", "hardware"),
        summary="A NAS disk is failing or has failed: swap it without losing data.",
        body="""\
Use this when the NAS says a disk is **Failing** or **Crashed**, or beeps about a degraded
storage pool. The pool keeps working on the other disks, but it is not protected until the
new disk has been rebuilt: do not delay, and do not pull a healthy disk.

**You need:** a new disk of the same size or larger (the spare is *where it is kept*, e.g.
"spare disk: office cupboard, top shelf") and the NAS admin sign-in (*where it is kept*).

## Steps

- [ ] Check last night's backup on the status board ("Off-site backup" should be Up).
- [ ] In DSM, open **Storage Manager** and note which drive bay has the failing disk.
- [ ] Write the bay number down, and the disk's serial number shown there.
- [ ] Pull that bay's tray (the NAS can stay on), and check the serial on the disk matches.
- [ ] Fit the new disk into the tray and push it back in until it clicks.
- [ ] In **Storage Manager → Storage Pool**, choose **Repair** and select the new disk.
- [ ] Leave it to rebuild (hours to a day); the pool says **Healthy** when it is done.
- [ ] Label the old disk "FAILED" with the date before it goes anywhere.

## Good to know

- Rebuilding slows the NAS down; photos and files still work.
- If a second disk fails during the rebuild, stop and call the owner.
""",
    ),
    Starter(
        key="power-out",
        title="The power went out",
        tags=("power", "ups"),
        summary="What to do during a power cut and when the power comes back.",
        body="""\
The UPS keeps the NAS and the network running for about 15 minutes and then shuts the NAS
down cleanly. The Macs switch off at once. Nothing needs doing during a short cut.

## While the power is out

- [ ] Check whether it is just the house (fuse box) or the street (neighbours' lights).
- [ ] If it is the fuse box, reset the tripped switch once. If it trips again, leave it off
      and call the electrician (their number is in the handover's contacts).
- [ ] Do not switch anything off by hand: the UPS shuts the NAS down by itself.

## When the power is back

- [ ] Wait five minutes for the router and the NAS to start by themselves.
- [ ] Switch on the Studio and the Mac mini if they did not start (power button at the back).
- [ ] Open the status board: everything should turn Up within ten minutes.
- [ ] Check the UPS is charging (its display, or "UPS" on the status board).
- [ ] Anything still Down after fifteen minutes: follow its own runbook, or message the owner.
""",
    ),
]

BY_KEY = {starter.key: starter for starter in STARTERS}
