"""Generate the labelled matching set (bench/matching/pairs.json), deterministically.

Each topic is one solved thread (title, question, accepted answer, tags), written
the way the demo and bench data write them. Each labelled *pair* is a new question
about the same problem written differently: another opener, other words for the
symptom, the product named another way, a different closing line. Topics share
products and symptoms on purpose, so a suggestion list has near misses to rank
below the right thread.

    .venv/bin/python -m bench.matching.make_pairs      # rewrites pairs.json
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("pairs.json")
PER_TOPIC = 7

# (key, tags, title, question, answer, symptom paraphrases, product names)
TOPICS: list[tuple[str, list[str], str, str, str, list[str], list[str]]] = [
    ("wifi-drop-router", ["wifi", "router"], "WiFi keeps dropping on Acme Router X2",
     "Every few minutes the wifi drops and all devices lose the internet.",
     "Turn off band steering and give the 5 GHz network its own name.",
     ["wireless connection keeps disconnecting", "wi-fi cuts out every few minutes", "keeps losing the wlan",
      "internet connection drops over wireless"], ["my Acme router", "the X2 router", "Acme Router X2"]),
    ("bt-pair-earbuds", ["bluetooth", "audio"], "Bluetooth pairing fails with Hooli Earbuds",
     "The earbuds never show up when I try to pair them with my phone.",
     "Forget the device, reboot both, and pair again within 30 seconds of opening the case.",
     ["won't pair over bluetooth", "can't connect the earbuds via bt", "pairing never completes",
      "do not appear in the bluetooth list"], ["Hooli Earbuds", "my Hooli buds", "the earbuds"]),
    ("battery-phone", ["battery", "mobile"], "Battery drains overnight on Globex Phone 12",
     "The battery goes from 100% to 20% overnight with every app closed.",
     "Disable battery optimisation for the sync app and turn off background refresh.",
     ["loses charge while sleeping", "battery empties during the night", "power drain while idle overnight",
      "charge drops fast when not in use"], ["Globex Phone 12", "my Globex phone", "the Phone 12"]),
    ("printer-offline", ["printer", "network"], "Printer shows offline on Acme Printer 300",
     "The printer shows offline although I can ping it from the laptop.",
     "Reserve an IP for the printer in DHCP and re-add it by that address.",
     ["says it is not available", "appears disconnected though it is on", "status is offline but it is on the network",
      "computer can't see the printer"], ["Acme Printer 300", "my Acme printer", "the 300 printer"]),
    ("firmware-router", ["firmware", "router"], "Firmware update failed on Acme Mesh Pro",
     "The firmware update stops at 40% and the mesh node goes back to the old version.",
     "Download the image from the support page and flash it through the local web page.",
     ["upgrade of the firmware aborts", "software update for the mesh fails", "update gets stuck and rolls back",
      "can't install the new firmware"], ["Acme Mesh Pro", "my mesh system", "the Acme mesh"]),
    ("router-reboot", ["router", "network"], "Router reboots randomly, Acme Modem DSL",
     "The modem restarts by itself several times a day, the lights all go off.",
     "A new power adapter fixed it: the old one could not deliver enough current.",
     ["restarts on its own", "keeps rebooting without reason", "power cycles itself during the day",
      "turns off and comes back randomly"], ["Acme Modem DSL", "my DSL modem", "the Acme modem"]),
    ("sound-update", ["audio", "drivers"], "No sound after update on Initech Laptop 14",
     "Since the update the speakers are silent and the headphone jack too.",
     "Update the audio driver from the vendor site, not the one Windows Update offers.",
     ["audio stopped working after upgrading", "speakers silent since the update", "lost all audio output",
      "no audio at all after patch"], ["Initech Laptop 14", "my Initech laptop", "the 14 inch Initech"]),
    ("screen-flicker", ["display", "drivers"], "Screen flickers on Initech Desktop",
     "The monitor flickers and goes black for a second every few minutes.",
     "Lower the refresh rate to 60 Hz and replace the HDMI cable with DisplayPort.",
     ["monitor blinks and goes dark", "display keeps flashing", "screen blinking black",
      "flickering picture on the monitor"], ["Initech Desktop", "my Initech PC", "the desktop"]),
    ("usb-unrecognised", ["usb", "drivers"], "USB device not recognised on Initech Dock",
     "Anything plugged into the dock says device not recognised.",
     "Update the dock firmware and turn off USB selective suspend in power options.",
     ["usb ports don't detect anything", "plugged devices are not detected", "dock doesn't see usb drives",
      "unknown usb device error"], ["Initech Dock", "my docking station", "the Initech dock"]),
    ("vpn-hourly", ["vpn", "network"], "VPN disconnects every hour on Globex Tab S",
     "The VPN connection drops exactly every hour and has to be reconnected.",
     "Set the VPN key lifetime on the client to match the server, 8 hours.",
     ["vpn tunnel drops each hour", "lose the vpn connection every 60 minutes", "vpn keeps timing out hourly",
      "vpn session ends after an hour"], ["Globex Tab S", "my Globex tablet", "the Tab S"]),
    ("email-sync", ["email", "sync"], "Email sync stuck on Globex Phone 12",
     "New mail never arrives on the phone, the inbox says syncing forever.",
     "Remove the account and add it again with IMAP instead of Exchange.",
     ["mail does not update", "inbox not refreshing", "messages don't arrive on my phone",
      "mail stays on syncing"], ["Globex Phone 12", "my Globex phone", "the Phone 12"]),
    ("backup-never", ["backup", "storage"], "Backup never finishes on Initech Laptop 14",
     "The nightly backup runs for hours and never reaches 100%.",
     "Exclude the cache folders from the backup and start a fresh full backup.",
     ["backup runs forever", "backup job doesn't complete", "backup hangs and never ends",
      "backup stuck before done"], ["Initech Laptop 14", "my Initech laptop", "the 14 inch Initech"]),
    ("login-loop", ["login", "accounts"], "Login loop after password reset",
     "After resetting my password the site sends me back to the login page every time.",
     "Clear the site's cookies and sign in again; the old session cookie keeps the loop going.",
     ["sign in keeps redirecting to sign in", "can't log in after changing password", "stuck at the login page",
      "redirected back to signin endlessly"], ["my account", "the portal", "the website"]),
    ("installer-99", ["installer", "update"], "Installer hangs at 99% on Initech Desktop",
     "The setup program stops at 99% and never finishes.",
     "Run the installer as administrator with the antivirus paused, then reboot.",
     ["setup freezes near the end", "installation stuck at 99 percent", "install never completes",
      "setup program hangs at the very end"], ["Initech Desktop", "my Initech PC", "the desktop"]),
    ("slow-upgrade", ["performance", "update"], "Slow performance after upgrade on Initech Laptop 14",
     "Since the upgrade everything takes ages to open.",
     "Let the indexer finish overnight and disable the startup apps the upgrade added.",
     ["very sluggish since upgrading", "laptop got slow after the update", "everything lags after upgrade",
      "takes forever to open apps"], ["Initech Laptop 14", "my Initech laptop", "the 14 inch Initech"]),
    ("app-crash", ["crash", "mobile"], "App crashes on start on Globex Tab S",
     "The companion app closes immediately when I open it.",
     "Clear the app's storage and reinstall it from the store.",
     ["app closes right after launch", "application quits when opened", "app force closes at startup",
      "companion app keeps closing immediately"], ["Globex Tab S", "my Globex tablet", "the Tab S"]),
    ("camera-black", ["camera", "security"], "Camera shows black screen on Umbrella Cam",
     "The live view is black although the camera light is on.",
     "Turn off night mode and update the camera firmware from the app.",
     ["live view is dark", "video feed is all black", "can't see any picture from the cam",
      "stream shows nothing but black"], ["Umbrella Cam", "my Umbrella camera", "the security cam"]),
    ("keyboard-lag", ["keyboard", "performance"], "Keyboard lag when typing on Initech Laptop 14",
     "Letters appear a second after I type them.",
     "Turn off filter keys in accessibility settings.",
     ["typing is delayed", "keys show up late on screen", "input delay on the keyboard",
      "characters lag behind my typing"], ["Initech Laptop 14", "my Initech laptop", "the 14 inch Initech"]),
    ("storage-full", ["storage", "mobile"], "Storage full but empty on Globex Phone 12",
     "The phone says storage is full but I have deleted everything.",
     "Empty the recently deleted album and clear system cache from recovery.",
     ["says no space left though nothing is stored", "memory full but no files", "disk space full after deleting",
      "out of storage with an empty phone"], ["Globex Phone 12", "my Globex phone", "the Phone 12"]),
    ("cloud-conflict", ["cloud", "sync"], "Cloud sync conflicts on Initech Desktop",
     "Every file gets a conflicted copy when it syncs to the cloud.",
     "Make sure the PC clock is synced with an internet time server.",
     ["duplicate conflicted copies appear", "files duplicated by cloud sync", "sync creates conflict files",
      "conflicted copy of every document"], ["Initech Desktop", "my Initech PC", "the desktop"]),
    ("thermo-schedule", ["thermostat", "smart-home"], "Thermostat loses schedule, Umbrella Thermostat",
     "The heating schedule is gone every morning and it runs at the default temperature.",
     "Link the thermostat to the app again and save the schedule in the cloud, not on the device.",
     ["forgets the heating program", "heating plan disappears", "schedule resets every day",
      "keeps going back to default temperature"], ["Umbrella Thermostat", "my Umbrella thermostat", "the thermostat"]),
    ("speaker-group", ["speaker", "audio"], "Speaker won't join group, Hooli Speaker",
     "The speaker can't be added to a group with the others.",
     "Put all speakers on the same wifi band and update them to the same version.",
     ["can't add it to the multi-room group", "grouping the speakers fails", "won't play together with others",
      "missing from the speaker group"], ["Hooli Speaker", "my Hooli speaker", "the smart speaker"]),
    ("tv-buffer", ["tv", "streaming"], "TV app buffering on Hooli TV Stick",
     "Every show stops to buffer every few seconds.",
     "Change the DNS to your router and set streaming quality to auto.",
     ["streams keep pausing to load", "video stutters and loads constantly", "shows keep buffering",
      "playback stops to load all the time"], ["Hooli TV Stick", "my Hooli stick", "the streaming stick"]),
    ("game-stutter", ["gaming", "wifi"], "Game stutters on wifi, Initech Desktop",
     "Online games freeze for a moment every few seconds on wifi but not on cable.",
     "Turn off the wireless adapter's power saving and disable background scanning.",
     ["lag spikes in games over wireless", "games freeze on wi-fi", "ping spikes when gaming on wireless",
      "online gaming hiccups over wlan"], ["Initech Desktop", "my Initech PC", "the desktop"]),
    ("2fa-rejected", ["security", "login"], "Two-factor codes rejected on my account",
     "Every code from the authenticator app is refused as invalid.",
     "Set the phone's time to automatic; authenticator codes depend on the clock.",
     ["2fa code invalid", "authenticator codes don't work", "verification code always wrong",
      "one-time codes refused"], ["my account", "the portal", "the website"]),
    ("billing-twice", ["billing", "accounts"], "Billing charged twice this month",
     "My card was charged two times for the same subscription.",
     "The second charge is a pending authorisation and disappears within 5 days.",
     ["double charge on my card", "paid two times for one subscription", "duplicate payment taken",
      "charged twice for the plan"], ["my account", "the subscription", "my plan"]),
    ("api-500", ["api", "accounts"], "API returns 500 on every request",
     "All calls to the API answer with an internal server error.",
     "Send the Content-Type: application/json header; without it the API fails.",
     ["internal server error from the api", "rest calls fail with status 500", "endpoint answers server error",
      "api requests error out with 500"], ["the API", "the REST API", "your API"]),
    ("mesh-node", ["router", "wifi"], "Mesh node won't connect to Acme Mesh Pro",
     "The second mesh node blinks red and never joins.",
     "Place the node closer for setup, then move it; it needs a strong signal to join.",
     ["satellite doesn't join the mesh", "extra node keeps blinking red", "can't add the second unit",
      "mesh satellite not connecting"], ["Acme Mesh Pro", "my mesh system", "the Acme mesh"]),
    ("print-queue", ["printer", "drivers"], "Print jobs stuck in queue, Acme Printer 300",
     "Documents sit in the queue and nothing prints.",
     "Clear the print spooler: stop the service, delete the spool files, start it again.",
     ["documents don't print and stay waiting", "printing queue stuck", "jobs pile up and never print",
      "nothing comes out, the queue is full"], ["Acme Printer 300", "my Acme printer", "the 300 printer"]),
    ("hotspot-hidden", ["mobile", "wifi"], "Hotspot not visible from Globex Phone 12",
     "Other devices can't find the phone's hotspot.",
     "Switch the hotspot band to 2.4 GHz; older laptops don't see 5 GHz.",
     ["tethering network doesn't show up", "laptop can't see my phone's hotspot", "personal hotspot not appearing",
      "shared connection not found by other devices"], ["Globex Phone 12", "my Globex phone", "the Phone 12"]),
    ("watch-sync", ["sync", "bluetooth"], "Globex Watch stops syncing steps",
     "The watch no longer sends steps and sleep to the phone.",
     "Turn on location permission for the companion app; Bluetooth sync needs it.",
     ["activity data not transferred", "steps don't appear in the app", "watch data not updating on phone",
      "fitness data stopped syncing"], ["Globex Watch", "my Globex watch", "the smartwatch"]),
    ("doorbell-offline", ["smart-home", "wifi"], "Umbrella Doorbell goes offline at night",
     "The doorbell drops off the network every night and comes back in the morning.",
     "Install the chime power kit; low voltage at night makes the wifi radio drop.",
     ["disconnects every evening", "loses connection overnight", "not reachable at night",
      "shows unavailable after dark"], ["Umbrella Doorbell", "my video doorbell", "the Umbrella bell"]),
]  # fmt: skip

OPENERS = ["", "Hi all, ", "Help: ", "Since yesterday ", "Anyone else? ", "Quick question: "]
CLOSERS = [
    "", " What can I do?", " Any idea how to fix it?", " Already restarted it twice.",
    " Is there a known fix?", " Thanks in advance.",
]  # fmt: skip


DISTRACTORS = 400


def distractors(rng: random.Random, titles: list[str]) -> list[dict]:
    """Solved threads from the bench data's problems and products: the same symptoms on other
    products and other symptoms on the same products, the near misses a real forum is full of."""
    from bench.seed import DETAILS, FIXES, PROBLEMS, PRODUCTS, TAGS

    rows = []
    while len(rows) < DISTRACTORS:
        problem, product = rng.choice(PROBLEMS), rng.choice(PRODUCTS)
        if any(problem.lower() in t and product.lower() in t for t in titles):
            continue  # that one is a labelled topic's own thread
        rows.append({
            "key": f"d{len(rows)}", "title": f"{problem} on {product}", "question": rng.choice(DETAILS),
            "answer": rng.choice(FIXES), "tags": rng.sample(TAGS, 2),
        })  # fmt: skip
    return rows


def pairs() -> dict:
    rng = random.Random(15)
    threads = []
    out = []
    for key, tags, title, question, answer, symptoms, products in TOPICS:
        threads.append({"key": key, "title": title, "question": question, "answer": answer, "tags": tags})
        combos = [(s, p) for s in symptoms for p in products]
        rng.shuffle(combos)
        for symptom, product in combos[:PER_TOPIC]:
            text = f"{rng.choice(OPENERS)}{product} {symptom}.{rng.choice(CLOSERS)}".strip()
            # The title is the first part people type; the details repeat it in other words.
            ask_title = f"{product} {symptom}"[:1].upper() + f"{product} {symptom}"[1:]
            out.append({"title": ask_title, "body": text, "answer": key})
    titles = [t["title"].lower() for t in threads]
    return {"threads": threads + distractors(rng, titles), "pairs": out}


def main() -> None:
    data = pairs()
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(data['pairs'])} pairs over {len(data['threads'])} threads -> {OUT}")


if __name__ == "__main__":
    main()
