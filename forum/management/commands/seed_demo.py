"""Fill an empty database with a small demo community that reads as real (docs/demo.md).

Fictional vendors with verified staff, community experts and customers, and community threads whose
answers fit their questions. Everything is written through the actions while a clock is moved to the
moment each thing happened (``Clock``), so dates, the timeline, counters and reputation are what real
use would have left. ``seed_swarm`` adds the vendor stories (escalations) on top. Running it again
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from forum import ratelimit
from forum.actions import posts as post_actions
from forum.actions import reputation as reputation_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.actions import votes as vote_actions
from forum.models import Membership, Post, Thread, User, Vendor

PASSWORD = "barnraise-demo"
# The demo vendors joined this long before the seed ran; every case on their pages is later.
JOINED_DAYS_AGO = 200

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
    ("nadia", "Nadia Okafor", "fabrikam", "staff"),
]
EXPERTS = [("dana", "Dana Whitfield"), ("omar", "Omar Haddad"), ("lucia", "Lucía Ferreira"), ("tobias", "Tobias Kern")]
CUSTOMERS = [
    ("jeff", "Jeff Morrow"), ("mei", "Mei Chen"), ("rahul", "Rahul Mehta"), ("sarah", "Sarah O'Brien"),
    ("kofi", "Kofi Mensah"), ("ines", "Inês Duarte"), ("pavel", "Pavel Novak"), ("grace", "Grace Kim"),
]  # fmt: skip

# Community threads: (days ago, author, title, tags, question, [(helper, reply)], index of the accepted reply
# or None, voters of each reply). No @handles: those escalate, which is seed_swarm's part.
COMMUNITY = [
    (
        150, "rahul", "Sync conflict copies everywhere after renaming my laptop", ["sync", "fabrikam-client"],
        "After renaming my laptop every synced folder has `(conflict copy)` files, hundreds of them. "
        "Can I get rid of them safely?",
        [
            ("lucia", "The client thinks the renamed laptop is a second device. Sign out of the client, rename the "
             "device under **Devices** on the web, sign back in, and it picks up the old state."),
            ("rahul", "That did it. The conflict copies stopped; I deleted the old ones from the web's *Recently "
             "changed* view in one go."),
        ],
        0, [["kofi", "grace", "mei"], []],
    ),
    (
        132, "sarah", "Which USB-C dock works with two 4K monitors on an Aero 14?", ["aero-14", "display", "usb-c"],
        "I want two 4K screens at 60 Hz from one cable. Some docks only give 30 Hz on the second screen. "
        "Has anyone found one that works?",
        [
            ("tobias", "You need a Thunderbolt 4 dock, not a plain USB-C one: USB-C alt mode only has the bandwidth "
             "for one 4K60 stream. Any TB4 dock with two DisplayPort outputs gives you both at 60 Hz."),
            ("omar", "Confirming Tobias: I run two 4K60 screens from a TB4 dock on the Aero 14 Gen 2. Use the left "
             "port, the right one is USB-C only."),
        ],
        0, [["sarah", "pavel", "jeff"], ["grace"]],
    ),
    (
        118, "kofi", "Restore skips files with accented names", ["restore", "backup"],
        "Restoring a folder skipped every file named like `Résumé.pdf` or `Ça va.docx`. The rest came back.",
        [
            ("dana", "Are you restoring to an external drive formatted as FAT32 or to a network share? Which one?"),
            ("kofi", "A network share on my NAS."),
            ("dana", "Then it is the share's character set: set the SMB share to UTF-8 on the NAS (it defaults to a "
             "legacy code page on older firmware) and run the restore again, the skipped files come back."),
        ],
        2, [[], [], ["kofi", "ines"]],
    ),
    (
        96, "pavel", "Home Hub 3 restarts every night around 3am", ["router", "home-hub-3"],
        "Every night around 3am the Home Hub 3 restarts and my cameras go offline for five minutes. "
        "Is it overheating?",
        [
            ("omar", "Not overheating: that is the scheduled maintenance window for firmware checks. Under "
             "**Advanced → Maintenance** you can move it to a time that suits you."),
            ("pavel", "Found it and moved it to 5am. Thanks!"),
        ],
        0, [["pavel", "sarah"], []],
    ),
    (
        75, "grace", "Slate Pen stops registering near the screen edges", ["stylus", "slate-11"],
        "The pen stops working about 1 cm from every edge. Recalibration did not help. Is my screen faulty?",
        [
            ("tobias", "Check **Settings → Pen → Palm rejection zone**. Some screen protectors make the tablet widen "
             "it to the edges. Set it to *Narrow*."),
        ],
        None, [["mei"]],
    ),
    (
        40, "ines", "Is 4G-only mode worth it for battery life?", ["battery", "data"],
        "My phone's battery drops fast downtown. Would switching to 4G only make a real difference?",
        [
            ("lucia", "In my tests about 10% more per day in areas where 5G coverage is patchy, because the modem "
             "stops hunting for it. Where 5G is strong there is no difference."),
            ("omar", "Same here. Try it for a week and compare the battery screen's *Mobile network* line."),
        ],
        None, [["ines", "kofi"], ["jeff"]],
    ),
    (
        12, "jeff", "Best way to back up a 400 GB photo library the first time?", ["backup", "photos"],
        "I have a 400 GB photo library and a slow upload. Is there a way to seed the first backup faster?",
        [],
        None, [],
    ),
    (
        3, "mei", "Slate 11 keyboard cover stops typing after sleep", ["slate-11", "keyboard"],
        "The keyboard cover works until the tablet sleeps; after that nothing types until I detach it and attach "
        "it again. Anyone else?",
        [],
        None, [],
    ),
]  # fmt: skip


class Clock:
    """The seed's clock: each action runs at the moment it happened, so nothing is rewritten afterwards."""

    def __init__(self, traveller) -> None:
        self._traveller = traveller

    def at(self, when: datetime) -> datetime:
        self._traveller.move_to(when)
        return when


@contextmanager
def seeding(start: datetime) -> Iterator[Clock]:
    """One transaction, demo rate limits off, mail kept in memory, and a clock stopped at ``start``."""
    # Demo people have example addresses: their notification emails stay in memory.
    mailers = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with (
        override_settings(MAILERS=mailers),
        ratelimit.exempt(),
        time_machine.travel(start, tick=False) as traveller,
        transaction.atomic(),
    ):
        yield Clock(traveller)


def seed_now() -> datetime:
    """The present, on the hour: the story's times are offsets from it."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def staff_of(handle: str) -> list[User]:
    return list(
        User.objects.filter(memberships__vendor__handle=handle, memberships__status=Membership.Status.VERIFIED)
        .order_by("pk")
        .distinct()
    )


class Command(BaseCommand):
    help = "Fill an empty database with demo vendors, people and community threads. Password: barnraise-demo."

    def handle(self, *args, **options) -> None:
        if Vendor.objects.filter(handle="northwind").exists() or Thread.objects.exists():
            self.stdout.write("The database already has demo data (or threads); leaving it as it is.")
            return
        now = seed_now()
        with seeding(now - timedelta(days=JOINED_DAYS_AGO)) as clock:
            self._people(clock, now)
            self._threads(clock, now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo community ready: {Thread.objects.count()} threads, {Post.objects.count()} posts. "
                f"Log in as jeff, dana, keith, priya, marco, mod or admin with password '{PASSWORD}'."
            )
        )

    def _user(self, username: str, name: str, email: str, **extra) -> User:
        if not hasattr(self, "_password_hash"):
            self._password_hash = make_password(PASSWORD)  # hash once: demo users share it
        user = User.objects.create(
            username=username, email=email, display_name=name, password=self._password_hash, **extra
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    def _people(self, clock: Clock, now: datetime) -> None:
        for name, handle, description, domain in VENDORS:
            vendor_actions.create_vendor(
                name=name,
                handle=handle,
                description=description,
                domains=[domain],
                joined_at=clock.at(now - timedelta(days=JOINED_DAYS_AGO)),
            )
        for username, name, handle, role in STAFF:
            domain = next(d for _, h, _, d in VENDORS if h == handle)
            user = self._user(username, name, f"{username}@{domain}")
            membership = vendor_actions.verify_staff_by_email(user=user, email=user.email)
            if role == Membership.Role.ADMIN and membership is not None:
                # The first verified address of a vendor's domain joins as staff; its founders were admins.
                vendor_actions.add_founding_admin(vendor=membership.vendor, user=user)
        experts = [self._user(u, n, f"{u}@community.example") for u, n in EXPERTS]
        for username, name in CUSTOMERS:
            self._user(username, name, f"{username}@mail.example")
        self._user("mod", "Morgan (moderator)", "mod@barnraise.example", is_moderator=True)
        admin = User.objects.create_superuser("admin", "admin@barnraise.example", PASSWORD, display_name="Site admin")
        EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
        clock.at(now - timedelta(days=JOINED_DAYS_AGO - 1))
        for expert in experts:
            reputation_actions.grant_reputation(by=admin, user=expert, amount=500, note="Trusted expert (demo)")

    def _threads(self, clock: Clock, now: datetime) -> None:
        people = {u.username: u for u in User.objects.all()}
        for days, author, title, tags, question, replies, accepted, voters in COMMUNITY:
            start = now - timedelta(days=days, hours=-9)
            clock.at(start)
            thread = thread_actions.create_thread(author=people[author], title=title, body=question, tags=tags)
            posts = []
            for n, (helper, body) in enumerate(replies):
                clock.at(start + timedelta(hours=2 + 3 * n, minutes=17 * n))
                posts.append(post_actions.reply(author=people[helper], thread=thread, body=body))
            for post, names in zip(posts, voters, strict=False):
                for voter in names:
                    vote_actions.upvote(user=people[voter], post=post)
            if accepted is not None:
                clock.at(start + timedelta(hours=4 + 3 * len(posts)))
                thread_actions.accept_answer(user=people[author], thread=thread, post=posts[accepted])
