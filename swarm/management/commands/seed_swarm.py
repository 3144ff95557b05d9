"""Add the vendor stories to the demo community (after ``seed_demo``; docs/demo.md).

Each story is written through the actions at the moment it happened (``seed_demo.Clock``): a tablet
escalated to its maker, a laptop bounced between its maker and a carrier, a knowledge-base answer, a
radar hit, an unclaimed vendor, escalations in every state, and enough finished cases per vendor for
the medians on the vendor pages. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand

from forum.actions import articles, knowledge
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.actions.joining import list_unclaimed_vendor
from forum.management.commands.seed_demo import seed_now, seeding, staff_of
from forum.models import Thread, User, Vendor
from swarm.actions import claims, escalations, notes, radar
from swarm.models import Escalation, RadarHit

# Finished cases that give each vendor's page its figures: (vendor, customer, days ago, title, tags,
# question, staff answer, hours to claim, hours from claim to the answer, hours to the customer's "yes",
# rating, rating comment).
ROUTINE = [
    ("northwind", "rahul", 75, "Aero 14 won't activate Windows after a motherboard replacement",
     ["activation", "aero-14"], "The repair centre replaced the motherboard and activation now fails with "
     "`0xC004F213`. The key sticker is gone.",
     "The licence was tied to the old board. I have moved your digital licence to the new hardware ID; restart "
     "and it activates within a few minutes.", 3, 1, 20, 5, "Fixed the same day."),
    ("northwind", "sarah", 27, "Aero 14 fan runs at full speed while idle", ["thermal", "aero-14"],
     "Brand new Aero 14. The fan is loud with nothing open. BIOS is the latest.",
     "A background indexer pins one core after the first sign-in. Let it finish overnight on power; if the fan "
     "still runs, install the Thermal Profile update 1.0.8 from Northwind Update.", 6, 2, 30, 4, ""),
    ("northwind", "kofi", 20, "External monitor flickers on the Aero 14 over USB-C", ["display", "usb-c", "aero-14"],
     "A 4K monitor over USB-C flickers black every few seconds. HDMI on the same monitor is fine.",
     "This is the USB-C retimer firmware. Northwind Update now offers *USB-C Firmware 2.3*, which fixes the "
     "flicker; install it with the monitor unplugged.", 2, 3, 26, 5, "Firmware fixed it."),
    ("northwind", "grace", 14, "Slate 11 battery drains 30% overnight in standby", ["battery", "slate-11"],
     "Fully charged at night, 70% in the morning with every app closed.",
     "Standby drain like this comes from *Connected standby* keeping the modem awake. Turn off **Settings → "
     "Battery → Network in standby**; you should lose under 3% a night.", 8, 1, 40, 4, ""),
    ("northwind", "pavel", 8, "Bluetooth mouse lags on the Aero 14 when Wi-Fi is busy", ["bluetooth", "aero-14"],
     "The pointer stutters during video calls or downloads. A wired mouse is fine.",
     "Wi-Fi and Bluetooth share the antenna; on 2.4 GHz they take turns. Join your router's 5 GHz network and "
     "the stutter goes away.", 4, 2, 18, 5, "Clear and quick."),
    ("northwind", "ines", 3, "Slate 11 screen rotation stuck in portrait", ["display", "slate-11"],
     "Rotation lock is off but the screen stays in portrait since this morning.",
     "The sensor service sometimes stops after a failed update. Restart with the volume-up key held to reset "
     "the sensors; rotation comes back.", 5, 1, 22, 3, "Worked, but took a while to get an answer."),
    ("bluewave", "jeff", 75, "Charged twice for the same month", ["billing"],
     "My November statement shows two charges of $64.99 on the same day. The app shows one payment.",
     "One of the two is a pre-authorisation that should have dropped off. I have refunded it; you will see "
     "it on your card within 3 business days.", 2, 1, 50, 5, "Refund arrived."),
    ("bluewave", "mei", 27, "eSIM transfer says the code is no longer valid", ["esim", "activation"],
     'Moving my eSIM to a new phone, the QR code says "This code is no longer valid". I scanned it once.',
     "Each code works once, and the first scan counted even though it failed. I have issued a new code to "
     "your account email; scan it on the new phone on Wi-Fi.", 1, 1, 6, 5, ""),
    ("bluewave", "rahul", 20, "Roaming data not working in Portugal", ["roaming", "data"],
     "Roaming is on in my plan and I see a network (MEO), but no data at all. Calls and texts work.",
     "Your plan had roaming for calls only. I have added the Europe data pass at no charge for this trip; "
     "toggle airplane mode and data starts.", 1, 2, 8, 4, ""),
    ("bluewave", "sarah", 14, "Port-in stuck pending for five days", ["porting", "activation"],
     "Moving my number from another carrier. It has said *pending* since Monday and I can't make calls.",
     "The old carrier rejected the port because the account PIN did not match. I resubmitted it with the PIN "
     "from your message; it completes within two hours.", 3, 1, 12, 4, "Finally working."),
    ("bluewave", "kofi", 8, "5G icon shows but speeds are like 3G", ["5g", "data"],
     "Downtown I get the 5G icon but speed tests show 2 Mbps. 4G-only mode gives 40 Mbps.",
     "A cell downtown was misconfigured after maintenance and has been fixed. Speeds there are back to normal; "
     "switch 5G back on.", 6, 3, 28, 3, ""),
    ("bluewave", "grace", 3, "Autopay failed but the card is valid", ["billing", "autopay"],
     "Got a failed-payment text but the card works everywhere else and hasn't expired.",
     "Your bank now asks for 3-D Secure on recurring payments. Re-save the card once in the app (it asks you to "
     "approve it in your bank's app) and autopay works again.", 2, 2, 16, 5, ""),
    ("fabrikam", "pavel", 75, "Backup stuck at 99% on a large photo library", ["backup", "photos"],
     "The desktop client has shown *99%* for two days. The log says `ERR upload chunk 4412: timeout after 30s`.",
     "Client 7.3.2 raises the chunk timeout for slow uploads. Update and the last chunks finish.", 5, 2, 36, 5, ""),
    ("fabrikam", "ines", 27, "Can't sign in to the app after a password reset", ["login", "account"],
     "I reset my password and the web sign-in works, but the app still says *invalid credentials*.",
     "The app cached a token from before the reset. Sign out under **Settings → Account**, then sign in again "
     "with the new password.", 2, 1, 10, 4, ""),
    ("fabrikam", "jeff", 20, "Invoice shows our old VAT number", ["billing", "invoice"],
     "Our invoices show an old VAT number even though we changed it in account settings last month.",
     "Invoices take the VAT number from the billing profile, not the account settings. I have updated it and "
     "reissued the last two invoices.", 7, 1, 48, 5, "Reissued invoices, great."),
    ("fabrikam", "mei", 14, "Shared folder invitations never arrive", ["sharing", "account"],
     "I share a folder with my accountant and she never gets the invitation email.",
     "Her mail server rejected our sender. She can accept from **Shared with me** on the web without the "
     "email; I have asked her provider to lift the block.", 3, 2, 20, 4, ""),
    ("fabrikam", "sarah", 8, "Restore is very slow over Wi-Fi", ["restore", "backup"],
     "Restoring 50 GB is estimated at 3 days on a fast connection.",
     "Restores were throttled for your region during a migration; that ended today. Restart the restore and it "
     "runs at full speed.", 4, 3, 26, 3, "OK in the end."),
    ("fabrikam", "kofi", 3, "Two-factor codes rejected by the app", ["login", "2fa"],
     "Codes from my authenticator are always rejected by the app, never on the web.",
     "Your phone's clock is a minute off and the app checks codes strictly. Turn on automatic time and the "
     "codes work.", 1, 1, 5, 5, ""),
]  # fmt: skip

CUSTOMERS = ["jeff", "mei", "rahul", "sarah", "kofi", "ines", "pavel", "grace"]
RADAR = {"northwind": ["slate", "aero"], "bluewave": ["hotspot"], "fabrikam": ["photo library"]}


class Command(BaseCommand):
    help = "Add the demo's vendor stories: escalations in every state, me-toos, notes, radar (after seed_demo)."

    def handle(self, *args, **options) -> None:
        if Escalation.objects.exists() or not Vendor.objects.filter(handle="northwind").exists():
            self.stdout.write("Vendor stories already present (or no demo community yet); nothing to do.")
            return
        now = seed_now()
        self.now = now
        self.people = {u.username: u for u in User.objects.all()}
        with seeding(now - timedelta(days=170)) as clock:
            self.clock = clock
            self._radar()
            for case in ROUTINE:
                self._routine(*case)
            self._knowledge_base()
            self._radar_story()
            self._idle_claim()
            self._tablet()
            self._awaiting_confirmation()
            self._laptop()
            self._unclaimed()
            self._open()
        self.stdout.write(self.style.SUCCESS(f"Vendor stories ready: {Escalation.objects.count()} escalations."))

    # ---- helpers --------------------------------------------------------------------------------------

    def at(self, days: float, hours: float = 0) -> datetime:
        """Move the clock to ``days`` ago plus ``hours``."""
        return self.clock.at(self.now - timedelta(days=days) + timedelta(hours=hours))

    def ask(self, author: str, title: str, tags: list[str], body: str) -> Thread:
        return thread_actions.create_thread(author=self.people[author], title=title, body=body, tags=tags)

    def upvote(self, post, voters: list[str]) -> None:
        for voter in voters:
            vote_actions.upvote(user=self.people[voter], post=post)

    def say(self, who: str, thread: Thread, body: str):
        return post_actions.reply(author=self.people[who], thread=thread, body=body)

    def _radar(self) -> None:
        self.at(169)
        for handle, phrases in RADAR.items():
            vendor = Vendor.objects.get(handle=handle)
            admin = staff_of(handle)[0]
            for phrase in phrases:
                radar.add_keyword(admin=admin, vendor=vendor, phrase=phrase)

    # ---- stories --------------------------------------------------------------------------------------

    def _routine(
        self, handle, customer, days, title, tags, question, answer, claim_h, answer_h, yes_h, rating, comment
    ):
        n = ROUTINE.index(next(c for c in ROUTINE if c[3] == title))
        staff = staff_of(handle)[n % len(staff_of(handle))]
        self.at(days)
        thread = self.ask(customer, title, tags, question)
        self.at(days, 1)
        escalation = escalations.escalate(user=self.people[customer], thread=thread, handle=handle)
        self.at(days, 1 + claim_h)
        claims.claim(staff=staff, escalation=escalation)
        self.at(days, 1 + claim_h + answer_h)
        post = post_actions.reply(author=staff, thread=thread, body=answer)
        claims.resolve(staff=staff, escalation=escalation)
        self.at(days, 1 + claim_h + answer_h + yes_h)
        thread_actions.accept_answer(user=self.people[customer], thread=thread, post=post)
        self.upvote(post, [c for c in CUSTOMERS if c != customer][n % 3 : n % 3 + 1 + n % 4])
        claims.confirm(user=self.people[customer], escalation=escalation, solved=True)
        claims.rate(user=self.people[customer], escalation=escalation, rating=rating, comment=comment)

    def _knowledge_base(self) -> None:
        """A solved thread whose answer Northwind verified: the knowledge base's article on it."""
        self.at(140)
        thread = self.ask(
            "mei",
            "Slate 11 won't charge past 80%",
            ["battery", "slate-11"],
            "My Slate 11 stops charging at 80% every time, with the original charger. Is the battery failing?",
        )
        self.at(140, 2)
        answer = self.say(
            "dana",
            thread,
            "Nothing is failing: that is **Battery care**, which stops at 80% to make the battery last longer. "
            "Turn it off under **Settings → Battery → Battery care** when you need a full charge before a trip.",
        )
        for voter in ("jeff", "rahul", "grace", "omar"):
            vote_actions.upvote(user=self.people[voter], post=answer)
        self.at(140, 5)
        thread_actions.accept_answer(user=self.people["mei"], thread=thread, post=answer)
        self.at(139)
        # Staff mention the vendor to link it to the thread, then vouch for the answer.
        self.say("priya", thread, "Dana's answer is right. For the record, Battery care is on by default since 3.9.")
        knowledge.verify_answer(user=self.people["priya"], post=answer, vendor=Vendor.objects.get(handle="northwind"))

    def _radar_story(self) -> None:
        """Fabrikam first heard of the photo problem through its radar, then answered in the thread."""
        self.at(9)
        thread = self.ask(
            "grace",
            "Photos app shows grey thumbnails for my synced photo library",
            ["photos", "sync"],
            "Since yesterday my synced photo library shows grey thumbnails on the laptop; the phone is fine.",
        )
        self.at(9, 3)
        self.say("omar", thread, "Same here on two laptops. Opening a photo shows it, only the thumbnails are grey.")
        self.at(9, 5)
        hit = RadarHit.objects.get(thread=thread, vendor__handle="fabrikam")
        radar.act_on_hit(staff=self.people["nadia"], hit=hit, action="join")
        self.say(
            "nadia",
            thread,
            "We saw this through our radar: yesterday's client 7.4 builds thumbnails in a new cache that fails on "
            "libraries over 100k photos. 7.4.1 goes out tonight; until then, **Settings → Photos → Rebuild "
            "thumbnails** brings them back.",
        )

    def _idle_claim(self) -> None:
        """Claimed, then nobody from the vendor moved for a day: the claim went back to the inbox."""
        self.at(6)
        thread = self.ask(
            "pavel",
            "Hotspot drops every ten minutes on the Unlimited plan",
            ["hotspot", "data"],
            "My laptop on the phone's hotspot drops every ten minutes and reconnects. The plan is Unlimited.",
        )
        escalation = escalations.escalate(user=self.people["pavel"], thread=thread, handle="bluewave")
        self.at(6, 2)
        claims.claim(staff=self.people["aiko"], escalation=escalation)
        for who in ("kofi", "sarah"):
            escalations.add_metoo(user=self.people[who], thread=thread)
        self.at(4)
        claims.release_idle_claims()

    def _tablet(self) -> None:
        """A tablet loses Wi-Fi after an update; escalated to its maker, claimed, solved, confirmed and rated."""
        self.at(5)
        thread = self.ask(
            "jeff",
            "Slate 11 loses Wi-Fi after the 4.2 update",
            ["wifi", "slate-11"],
            "Since the **4.2** update my Slate 11 drops Wi-Fi whenever it wakes from sleep. The icon says connected "
            "but nothing loads until I toggle airplane mode.\n\n- Router: Bluewave Home Hub 3\n- Other devices are "
            "fine",
        )
        self.at(5, 1)
        self.say(
            "dana",
            thread,
            "Forgetting the network and joining again helps for a day here. Looks like a 4.2 problem, worth "
            "escalating to Northwind.",
        )
        self.at(5, 2)
        escalation = escalations.escalate(user=self.people["jeff"], thread=thread, handle="northwind")
        for n, who in enumerate(("mei", "rahul", "grace", "ines")):
            self.at(5, 3 + n)
            escalations.add_metoo(user=self.people[who], thread=thread)
        self.at(5, 4)
        claims.claim(staff=self.people["priya"], escalation=escalation)
        notes.add_note(
            staff=self.people["priya"],
            thread=thread,
            vendor=escalation.vendor,
            body="Same as NW-4471: 4.2 turns on MAC randomisation on wake. Fix is in 4.2.1, out Thursday.",
        )
        self.at(5, 6)
        answer = self.say(
            "priya",
            thread,
            "Thanks for the details, we reproduced it. 4.2 turns on *MAC randomisation* after sleep and some routers "
            "refuse the new address. Until 4.2.1 arrives this week, open **Settings → Wi-Fi → your network** and set "
            "*Private address* to **Off**.",
        )
        claims.resolve(staff=self.people["priya"], escalation=escalation)
        self.at(4, 2)
        self.say("jeff", thread, "That fixed it: three sleeps in a row and Wi-Fi came straight back. Thank you!")
        thread_actions.accept_answer(user=self.people["jeff"], thread=thread, post=answer)
        self.upvote(answer, ["jeff", "mei", "rahul", "grace", "ines", "dana"])
        claims.confirm(user=self.people["jeff"], escalation=escalation, solved=True)
        claims.rate(user=self.people["jeff"], escalation=escalation, rating=5, comment="Fast, clear, and a workaround.")
        # The solution becomes a knowledge-base article, drafted by the staff member who found it.
        self.at(3)
        article = articles.draft_article(
            user=self.people["priya"],
            thread=thread,
            vendor=escalation.vendor,
            text=articles.ArticleText(
                title="Slate 11: Wi-Fi drops after waking from sleep on software 4.2",
                environment="Slate 11 on software 4.2, routers that refuse a changed MAC address",
                cause="4.2 turns on MAC randomisation after sleep, and some routers refuse the new address.",
                resolution="Install 4.2.1. Until then, open Settings → Wi-Fi → your network and set "
                "Private address to Off.",
            ),
        )
        self.at(2, 20)
        articles.publish_article(user=self.people["keith"], article=article)  # reviewed by the vendor admin

    def _awaiting_confirmation(self) -> None:
        """Bluewave resolved it; the customer has not said yes yet."""
        self.at(2)
        thread = self.ask(
            "ines",
            "Voicemail notifications arrive a day late",
            ["voicemail"],
            "I get the voicemail notification the next day, long after the call.",
        )
        self.at(2, 1)
        escalation = escalations.escalate(user=self.people["ines"], thread=thread, handle="bluewave")
        self.at(2, 3)
        claims.claim(staff=self.people["marco"], escalation=escalation)
        self.at(2, 4)
        self.say(
            "marco",
            thread,
            "Your line was still on the old voicemail platform. I moved it; notifications now arrive within a minute. "
            "Can you leave yourself a test message and tell us?",
        )
        claims.resolve(staff=self.people["marco"], escalation=escalation)

    def _laptop(self) -> None:
        """A laptop bounced between its maker and the carrier until both vendors work it on one thread."""
        self.at(1, -6)
        thread = self.ask(
            "mei",
            "Aero 14 LTE model can't get mobile data on a Bluewave SIM",
            ["aero-14", "lte", "data"],
            "The built-in LTE modem sees the Bluewave network and signal is good, but there is no data. "
            "The same SIM works in my phone.",
        )
        self.at(1, -5)
        first = escalations.escalate(user=self.people["mei"], thread=thread, handle="northwind")
        self.at(1, -3)
        claims.claim(staff=self.people["keith"], escalation=first)
        self.say(
            "keith",
            thread,
            "The modem registers fine in our logs, so the network is refusing data for this device. That is "
            "Bluewave's side: I'm handing this to them with our findings.",
        )
        self.at(1, -2)
        bluewave = claims.hand_off(
            staff=self.people["keith"],
            escalation=first,
            to_handle="bluewave",
            note="Modem attach OK, PDP context rejected (cause 33). Looks like APN provisioning for a laptop IMEI.",
        )
        self.at(1, 1)
        claims.claim(staff=self.people["aiko"], escalation=bluewave)
        self.say(
            "aiko",
            thread,
            "Our side now lets the laptop's IMEI use data on your plan. The modem still asks for an old APN, "
            "`internet.bw`, which we retired; Northwind sets that in the modem profile.",
        )
        self.upvote(Thread.objects.get(pk=thread.pk).posts.get(author=self.people["aiko"]), ["mei"])
        self.at(1, 2)
        # Northwind stays on the thread (its first case ended as handed_off): both vendors work it here.
        self.say(
            "priya",
            thread,
            "Confirmed with Aiko: our carrier profile still lists `internet.bw`. We are pushing an updated profile "
            "tonight; Bluewave keeps the case and I'll post here when the profile is out.",
        )
        self.at(0, -2)
        notes.add_note(
            staff=self.people["aiko"],
            thread=thread,
            vendor=bluewave.vendor,
            body="Provisioning done on our side. Waiting for Northwind's profile push before we resolve.",
        )

    def _open(self) -> None:
        """An unanswered community thread its author escalates: open in Northwind's inbox, not yet claimed."""
        thread = Thread.objects.get(title="Slate 11 keyboard cover stops typing after sleep")
        self.at(0, -5)
        escalations.escalate(user=thread.author, thread=thread, handle="northwind")
        self.at(0, -3)
        escalations.add_metoo(user=self.people["sarah"], thread=thread)

    def _unclaimed(self) -> None:
        """A router maker that has not joined yet: customers can still escalate, and wait."""
        self.at(20)
        vendor = list_unclaimed_vendor(
            moderator=self.people["mod"],
            name="Contoso Routers",
            handle="contoso",
            description="Home mesh routers (listed by the moderators; the company has not joined yet).",
        )
        self.at(1, 3)
        thread = self.ask(
            "kofi",
            "Contoso mesh node keeps dropping off the network",
            ["router", "mesh"],
            "One of my three Contoso mesh nodes falls off the network every evening and only comes back after a "
            "power cycle.",
        )
        self.at(1, 4)
        escalations.escalate(user=self.people["kofi"], thread=thread, handle=vendor.handle)
        self.at(1, 6)
        escalations.add_metoo(user=self.people["pavel"], thread=thread)
