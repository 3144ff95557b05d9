"""Fill an empty database with a small, realistic demo community.

Fictional vendors with verified staff, community experts, customers and about
50 threads in every state, all written through the actions, so the timeline,
search index and counters are exactly what real use would produce.
"""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from forum import ratelimit
from forum.actions import posts as post_actions
from forum.actions import reputation as reputation_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.actions import votes as vote_actions
from forum.models import Event, Membership, Post, ReputationChange, Thread, User

PASSWORD = "barnraise-demo"

VENDORS = [
    ("Northwind Devices", "northwind", "Laptops and tablets: the Northwind Slate and Aero lines.", "northwind.example"),
    ("Bluewave Wireless", "bluewave", "Mobile and home broadband carrier.", "bluewave.example"),
    ("Fabrikam Cloud", "fabrikam", "Cloud backup and sync for homes and small offices.", "fabrikam.example"),
]
STAFF = [
    ("keith", "Keith Ramos", "northwind", "admin"),
    ("priya", "Priya Natarajan", "northwind", "staff"),
    ("marco", "Marco Bellini", "bluewave", "admin"),
    ("aiko", "Aiko Tanaka", "bluewave", "staff"),
    ("sven", "Sven Lindqvist", "fabrikam", "admin"),
]
EXPERTS = [("dana", "Dana Whitfield"), ("omar", "Omar Haddad"), ("lucia", "Lucía Ferreira"), ("tobias", "Tobias Kern")]
CUSTOMERS = [
    ("jeff", "Jeff Morrow"), ("mei", "Mei Chen"), ("rahul", "Rahul Mehta"), ("sarah", "Sarah O'Brien"),
    ("kofi", "Kofi Mensah"), ("ines", "Inês Duarte"), ("pavel", "Pavel Novak"), ("grace", "Grace Kim"),
]  # fmt: skip

PROBLEMS = [
    (
        "Slate 11 tablet drops wifi every time it wakes from sleep",
        ["wifi", "slate-11", "sleep"],
        "northwind",
        "Since the 4.2 update my **Slate 11** loses wifi whenever it wakes up. The icon shows connected but nothing loads until I toggle airplane mode.\n\n- Router: Bluewave Home Hub 3\n- Other devices are fine\n\nAny wifi mavens out there?",
    ),
    (
        "Aero 14 laptop won't activate Windows after motherboard replacement",
        ["activation", "aero-14"],
        "northwind",
        "The repair centre replaced the motherboard and now activation fails with error `0xC004F213`. The sticker key is gone. What do I do?",
    ),
    (
        "Charged twice for the same month on my Bluewave bill",
        ["billing"],
        "bluewave",
        "My November statement shows two charges of $64.99 on the same day. The app only shows one payment. Who do I talk to?",
    ),
    (
        "Home Hub 3 keeps rebooting at night",
        ["router", "home-hub-3", "wifi"],
        "bluewave",
        "Every night around 3am the Home Hub 3 restarts and my smart cameras go offline. Lights go red for about 5 minutes.",
    ),
    (
        "Fabrikam backup stuck at 99% on large photo library",
        ["backup", "photos"],
        "fabrikam",
        "The desktop client has shown *99%* for two days. The log says:\n\n```\nERR upload chunk 4412: timeout after 30s\n```\n\nLibrary is about 400 GB.",
    ),
    (
        "eSIM transfer fails when switching phones",
        ["esim", "activation"],
        "bluewave",
        'Trying to move my eSIM to a new phone. The QR code says "This code is no longer valid". I only scanned it once.',
    ),
    (
        "Bluetooth mouse lags on Aero 14 when wifi is busy",
        ["bluetooth", "wifi", "aero-14"],
        "northwind",
        "Mouse pointer stutters during video calls or downloads. Wired mouse is fine.",
    ),
    (
        "Cannot sign in to Fabrikam app after password reset",
        ["login", "account"],
        "fabrikam",
        "Reset my password, got the confirmation email, but the app still says *invalid credentials*. Web sign-in works.",
    ),
    (
        "Slate 11 battery drains 30% overnight in standby",
        ["battery", "slate-11"],
        "northwind",
        "Fully charged at night, 70% in the morning with everything closed. Is this normal?",
    ),
    (
        "Roaming data not working in Portugal",
        ["roaming", "data"],
        "bluewave",
        "Roaming is enabled on my plan and I see a network (MEO) but no data at all. Calls and SMS work.",
    ),
    (
        "Sync conflict copies everywhere after laptop rename",
        ["sync", "backup"],
        "fabrikam",
        "After renaming my laptop, every synced folder now has `(conflict copy)` files. Hundreds of them.",
    ),
    (
        "Aero 14 fan runs at full speed while idle",
        ["thermal", "aero-14"],
        "northwind",
        "Brand new Aero 14. Fan screams even with nothing open. BIOS is the latest.",
    ),
    (
        "Port-in stuck pending for five days",
        ["porting", "activation"],
        "bluewave",
        "Moving my number from another carrier. Status has been *pending* since Monday and I can't make calls.",
    ),
    (
        "Wifi calling greyed out on Slate 11 LTE",
        ["wifi-calling", "slate-11", "wifi"],
        "bluewave",
        "The toggle for wifi calling is greyed out. Same SIM works in my old phone.",
    ),
    (
        "Invoice shows wrong company VAT number",
        ["billing", "invoice"],
        "fabrikam",
        "Our invoices show an old VAT number even though we updated it in account settings last month.",
    ),
    (
        "Stylus stops working near the screen edges",
        ["stylus", "slate-11"],
        "northwind",
        "The Slate Pen stops registering about 1 cm from every edge. Recalibration didn't help.",
    ),
    (
        "5G icon shows but speeds are 3G-like",
        ["5g", "data"],
        "bluewave",
        "Downtown I get the 5G icon but speed tests show 2 Mbps. 4G-only mode gives 40 Mbps.",
    ),
    (
        "Restore from backup skips files with accented names",
        ["restore", "backup"],
        "fabrikam",
        "Restoring a folder skipped every file named like `Résumé.pdf` or `Ça va.docx`.",
    ),
    (
        "External monitor flickers on Aero 14 over USB-C",
        ["display", "usb-c", "aero-14"],
        "northwind",
        "A 4K monitor over USB-C flickers black every few seconds. HDMI on the same monitor is fine.",
    ),
    (
        "Autopay failed but card is valid",
        ["billing", "autopay"],
        "bluewave",
        "Got a failed-payment SMS but the card works everywhere else and hasn't expired.",
    ),
]

REPLIES = [
    "Same here since the update. Toggling airplane mode fixes it for me until the next sleep.",
    "Can you check **Settings → Wi-Fi → Advanced** and see whether *MAC randomisation* is on? That changed in 4.2.",
    "Try forgetting the network and joining again. Also check the router's DHCP lease time.",
    "What firmware version is the router on? There was a known issue with 2.1.x.",
    "I had exactly this. Turning off *Fast Startup* fixed it for me.",
    "Could you post the exact error text? A screenshot of the log would help too.",
    "This looks like the known issue from last month; a fix is rolling out this week.",
    "Did you try a different cable or port? Just to rule out hardware.",
    "Thanks, that worked! For anyone else: it's under *Advanced* and you need to reboot afterwards.",
    "Following. Same model, same symptoms.",
]
STAFF_REPLIES = [
    "Thanks for the detail, this is a known issue with the 4.2 power settings. Open **Settings → Battery → Wi-Fi during sleep** and set it to *Always*. A permanent fix ships in 4.2.1.",
    "I've checked your account from our side: the duplicate charge is a pre-authorisation and will drop off within 3 business days. If it doesn't, reply here and I'll refund it directly.",
    "We reproduced this in our lab. The workaround is to update the desktop client to 7.3.2, which raises the chunk timeout. Let us know if it finishes.",
    "Your activation is tied to the old board. I've reissued a digital licence to the new hardware ID; restart and it should activate within a few minutes.",
]


class Command(BaseCommand):
    help = "Fill an empty database with demo vendors, people and about 50 threads. Password for all: barnraise-demo."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--threads", type=int, default=50)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, threads: int, seed: int, **options) -> None:
        if Thread.objects.exists():
            self.stdout.write("The database already has threads; leaving it as it is.")
            return
        rng = random.Random(seed)
        self._joined = timezone.now() - timedelta(days=365)  # the demo vendors' figures cover the backdated threads
        with transaction.atomic(), ratelimit.exempt():
            people = self._people()
            self._threads(people, threads, rng)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Thread.objects.count()} threads, {Post.objects.count()} posts. "
                f"Log in as any of {', '.join(sorted(people['all']))[:120]}… with password '{PASSWORD}'."
            )
        )

    def _user(self, username: str, name: str, email: str, **extra) -> User:
        if not hasattr(self, "_password_hash"):
            self._password_hash = make_password(PASSWORD)  # hash once: demo users share it
        extra.setdefault("date_joined", timezone.now() - timedelta(days=120))  # members for months: votes count
        user = User.objects.create(username=username, email=email, display_name=name, **extra)
        User.objects.filter(pk=user.pk).update(password=self._password_hash)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    def _people(self) -> dict:
        vendors = {}
        for name, handle, description, domain in VENDORS:
            vendors[handle] = vendor_actions.create_vendor(
                name=name, handle=handle, description=description, domains=[domain], joined_at=self._joined
            )
        staff: dict[str, list[User]] = {h: [] for h in vendors}
        for username, name, handle, role in STAFF:
            domain = next(d for _, h, _, d in VENDORS if h == handle)
            user = self._user(username, name, f"{username}@{domain}")
            vendor_actions.verify_staff_by_email(user=user, email=user.email)
            Membership.objects.filter(user=user).update(role=role)
            staff[handle].append(user)
        experts = [self._user(u, n, f"{u}@community.example") for u, n in EXPERTS]
        customers = [self._user(u, n, f"{u}@mail.example") for u, n in CUSTOMERS]
        self._user("mod", "Morgan (moderator)", "mod@barnraise.example", is_moderator=True)
        admin = User.objects.create_superuser("admin", "admin@barnraise.example", PASSWORD, display_name="Site admin")
        EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
        for expert in experts:
            reputation_actions.grant_reputation(by=admin, user=expert, amount=500, note="Trusted expert (demo)")
        everyone = {u.username for u in User.objects.all()}
        return {"vendors": vendors, "staff": staff, "experts": experts, "customers": customers, "all": everyone}

    def _threads(self, people: dict, count: int, rng: random.Random) -> None:
        now = timezone.now()
        for i in range(count):
            title, tags, handle, body = PROBLEMS[i % len(PROBLEMS)]
            if i >= len(PROBLEMS):
                title = f"{title} ({['again', 'after reset', 'on a second device'][i // len(PROBLEMS) - 1]})"
            author = people["customers"][i % len(people["customers"])]
            if i % 4 == 1:
                body += f"\n\nCould somebody from @{handle} please help?"
            thread = thread_actions.create_thread(author=author, title=title, body=body, tags=tags)
            state = i % 5  # 0: unanswered, 1-2: answered, 3-4: solved
            replies: list[Post] = []
            if state:
                helpers = people["experts"] + people["customers"]
                for _ in range(rng.randint(1, 5)):
                    helper = rng.choice([h for h in helpers if h != author])
                    replies.append(post_actions.reply(author=helper, thread=thread, body=rng.choice(REPLIES)))
                if state in (2, 4):
                    staff = rng.choice(people["staff"][handle])
                    replies.append(post_actions.reply(author=staff, thread=thread, body=rng.choice(STAFF_REPLIES)))
                for post in replies:
                    for voter in rng.sample(people["customers"], rng.randint(0, 3)):
                        if voter != post.author:
                            vote_actions.upvote(user=voter, post=post)
            if state >= 3 and replies:
                thread_actions.accept_answer(user=author, thread=thread, post=replies[-1])
            self._backdate(thread, now - timedelta(hours=(count - i) * 7 + rng.randint(0, 5)))

    def _backdate(self, thread: Thread, when) -> None:
        """Spread the demo over the past weeks so lists and relative times look lived-in."""
        posts = list(thread.posts.order_by("created_at", "id"))
        for n, post in enumerate(posts):
            Post.objects.filter(pk=post.pk).update(created_at=when + timedelta(minutes=37 * n))
        events = list(Event.objects.filter(thread=thread).order_by("seq"))
        for n, event in enumerate(events):
            Event.objects.filter(pk=event.pk).update(created_at=when + timedelta(minutes=37 * min(n, len(posts))))
        last = when + timedelta(minutes=37 * max(len(posts) - 1, 0))
        Thread.objects.filter(pk=thread.pk).update(created_at=when, last_activity_at=last)
        ReputationChange.objects.filter(post__thread=thread).update(created_at=last)  # weekly boards differ
