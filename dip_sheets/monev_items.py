"""The self-check's judges: one pure function per e-Monev item, from what was observed.

:class:`Observed` is everything :func:`dip_sheets.monev_check.self_check` read (the reviewed register,
the live site, the archive, link results); each judge turns it into one
:class:`~dip_sheets.monev.MonevItem`. No I/O here, so every item is tested in both states from plain
data. Staleness (the list's year, Berkala items, exclusions about to end, a Keputusan older than the
list) is judged here too, as items of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import schema as s
from .config import Config
from .dates import format_date
from .higher_dik import HigherCheck
from .links import LinkResult
from .messages import Message
from .monev import MonevItem, MonevSettings, judged, site_url
from .staleness import is_stale
from .sync import Review
from .validate import Exclusion, Finding

#: what a form must not be: a file to download
_DOWNLOADS = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx")
_SHOWN = 10


@dataclass(frozen=True)
class Observed:
    """What the self-check saw, as plain data."""

    today: dt.date
    review: Review
    #: published Berkala items: ID -> the day they were last updated
    berkala_updated: Mapping[str, dt.date] = field(default_factory=dict)
    #: every DIK row: its exclusion read regardless of its end date (None: incomplete), findings
    dik_rows: Sequence[tuple[str, Exclusion | None, Sequence[Finding]]] = ()
    #: the live ``dip.json`` and the live manifest's version (None: nothing answered)
    live: Mapping[str, Any] | None = None
    live_version: str | None = None
    #: the version ``dip publish`` last made live, as the publish target holds it
    recorded_version: str | None = None
    dik_page: str | None = None
    #: the day the list's items last changed, from the archive
    last_change: dt.date | None = None
    decision_date: dt.date | None = None
    links: Mapping[str, LinkResult] = field(default_factory=dict)
    #: absolute addresses linked from the main website's page (None: not configured or unreachable)
    menu_links: frozenset[str] | None = None
    higher: HigherCheck | None = None


Judge = Callable[[Observed, Config, MonevSettings], MonevItem | None]


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids[:_SHOWN]) + (f" (+{len(ids) - _SHOWN})" if len(ids) > _SHOWN else "")


def _reason(result: LinkResult) -> Message:
    return result.reason or Message(str(result.status), str(result.status))


def _published(obs: Observed, category: str) -> list[str]:
    return [i.id for i in obs.review.items if i.category == category]


PUBLISH = Message("jalankan `dip publish`, lalu periksa lagi dengan `dip monev`",
                  "run `dip publish`, then check again with `dip monev`")


def dip_online(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    url = site_url(config, "index.html")
    title = Message("DIP tahun berjalan daring, ditetapkan dan ditandatangani",
                    "The year's DIP online, established and signed")
    problems: list[Message] = []
    todo = PUBLISH
    if not url:
        problems.append(Message("alamat situs (publish.base_url) belum diisi, sehingga situs tidak dapat"
                                " diperiksa", "the site's address (publish.base_url) is not set, so the"
                                " site cannot be checked"))
        todo = Message("isi publish.base_url di dip.toml", "set publish.base_url in dip.toml")
    elif obs.live is None:
        problems.append(Message(f"daftar tidak terbaca di {url} (manifest.json dan dip.json tidak terbuka)",
                                f"no list could be read at {url} (manifest.json and dip.json do not open)"))
    else:
        if obs.live_version != obs.recorded_version:
            problems.append(Message(
                f"situs menampilkan versi {obs.live_version}, sedangkan terbitan terakhir di tujuan terbit"
                f" adalah versi {obs.recorded_version or '(belum ada)'} (publish.base_url menunjuk tempat"
                " lain, atau salinan lama masih tersimpan di server web)",
                f"the site shows version {obs.live_version} while the last publish at the publish target"
                f" is version {obs.recorded_version or '(none)'} (publish.base_url points elsewhere, or"
                " the web server still serves an old copy)"))
        decision = obs.live.get("keputusan_ppid") or {}
        if not (decision.get("nomor") and decision.get("tanggal")):
            problems.append(Message("daftar yang tayang tidak mencantumkan nomor dan tanggal Keputusan PPID",
                                    "the live list does not cite the PPID decision's number and date"))
            todo = Message(f"catat Keputusan PPID di tab '{s.DECISION_TAB}' register, lalu jalankan"
                           " `dip publish`", f"record the PPID decision in the register's '{s.DECISION_TAB}'"
                           " tab, then run `dip publish`")
        if not obs.live.get("jumlah"):
            problems.append(Message("daftar yang tayang kosong", "the live list is empty"))
    if not config.office.ppid_name:
        problems.append(Message("blok tanda tangan belum memuat nama pejabat PPID",
                                "the signature block does not name the PPID official"))
        todo = Message("isi [office] ppid_name, lalu jalankan `dip publish`",
                       "set [office] ppid_name, then run `dip publish`")
    live = obs.live or {}
    decision = live.get("keputusan_ppid") or {}
    ok = Message(f"versi {obs.live_version} ({live.get('jumlah')} informasi) tayang di {url}, ditetapkan"
                 f" dengan Keputusan PPID {decision.get('nomor')} tanggal {decision.get('tanggal')}",
                 f"version {obs.live_version} ({live.get('jumlah')} items) is live at {url}, established"
                 f" by PPID decision {decision.get('nomor')} of {decision.get('tanggal')}")
    return judged("dip_daring", title, problems, ok, todo, (url,) if url else ())


def list_year(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    title = Message("Daftar yang tayang adalah daftar tahun ini", "The live list is this year's list")
    year = obs.today.year
    shown = int((obs.live or {}).get("tahun") or 0)
    grace = obs.today.month == 1 and obs.today.day <= settings.january_grace_days and shown == year - 1
    problems = [] if shown == year or grace else [
        Message(f"daftar yang tayang adalah daftar tahun {shown}", f"the live list is the list of {shown}")
        if shown else Message("tidak ada daftar yang tayang", "no list is live")]
    todo = Message(f"tetapkan daftar tahun {year} dengan Keputusan PPID baru, lalu jalankan `dip publish`",
                   f"establish the {year} list with a new PPID decision, then run `dip publish`")
    note = Message(" (masa tenggang Januari)", " (January grace period)") if grace else Message("", "")
    return judged("tahun_daftar", title, problems,
                  Message(f"daftar tahun {shown}{note.id}", f"the list of {shown}{note.en}"), todo)


def decision_current(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    title = Message("Keputusan PPID tidak lebih tua dari perubahan daftar terakhir",
                    "The PPID decision is not older than the list's last change")
    todo = Message("terbitkan Keputusan PPID baru yang melampirkan daftar terkini (`dip keputusan draf`),"
                   f" catat di tab '{s.DECISION_TAB}', lalu jalankan `dip publish`",
                   "issue a new PPID decision attaching the current list (`dip keputusan draf`), record it"
                   f" in the '{s.DECISION_TAB}' tab, then run `dip publish`")
    problems: list[Message] = []
    if obs.decision_date is None:
        problems.append(Message(f"tab '{s.DECISION_TAB}' tidak memuat Keputusan PPID yang menetapkan DIP",
                                f"the '{s.DECISION_TAB}' tab holds no PPID decision establishing the DIP"))
    elif obs.last_change is not None and obs.decision_date < obs.last_change:
        problems.append(Message(
            f"Keputusan PPID tanggal {format_date(obs.decision_date)} lebih tua dari perubahan daftar"
            f" terakhir ({format_date(obs.last_change)})",
            f"the PPID decision of {obs.decision_date.isoformat()} is older than the list's last change"
            f" ({obs.last_change.isoformat()})"))
    changed = format_date(obs.last_change) if obs.last_change else "-"
    decided = format_date(obs.decision_date) if obs.decision_date else "-"
    return judged("keputusan_terkini", title, problems,
                  Message(f"Keputusan tanggal {decided}; perubahan daftar terakhir {changed}",
                          f"decision of {decided}; the list last changed on {changed}"), todo)


def dik(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    url = site_url(config, "dik.html")
    title = Message("DIK tahun berjalan dari uji konsekuensi, daring",
                    "The year's DIK from consequence tests, online")
    problems: list[Message] = []
    broken = [row_id for row_id, exclusion, _ in obs.dik_rows if exclusion is None]
    if broken:
        problems.append(Message(f"baris DIK belum lengkap atau bermasalah: {_ids(broken)}"
                                " (lihat Catatan Sinkron)",
                                f"DIK rows incomplete or wrong: {_ids(broken)} (see Catatan Sinkron)"))
    if obs.dik_page is None:
        problems.append(Message(f"halaman DIK tidak terbuka di {url or '(publish.base_url kosong)'}",
                                f"the DIK page does not open at {url or '(publish.base_url empty)'}"))
    else:
        missing = [x.id for x in obs.review.exclusions if f'id="{x.id}"' not in obs.dik_page]
        if missing:
            problems.append(Message(f"belum tayang di halaman DIK: {_ids(missing)}",
                                    f"not yet on the DIK page: {_ids(missing)}"))
    count = len(obs.review.exclusions)
    return judged("dik", title, problems,
                  Message(f"{count} informasi dikecualikan, masing-masing dengan uji konsekuensi, tayang"
                          f" di {url}",
                          f"{count} excluded items, each with its consequence test, live at {url}"),
                  Message("lengkapi uji konsekuensi di tab DIK, lalu jalankan `dip publish`",
                          "complete the consequence tests in the DIK tab, then run `dip publish`"),
                  (url,) if url else ())


def expired_exclusions(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    title = Message("Informasi dikecualikan yang masa pengecualiannya berakhir sudah dibuka",
                    "Excluded information whose period ended is open")
    ended = [(i, x) for i, x, _ in obs.dik_rows if x and x.expires and x.expires < obs.today]
    problems = [Message(f"{i} berakhir {format_date(x.expires)} tetapi masih di DIK",
                        f"{i} ended on {x.expires.isoformat()} but is still in the DIK")
                for i, x in ended if x.expires]
    return judged("pengecualian_berakhir", title, problems,
                  Message("tidak ada informasi dikecualikan yang masa pengecualiannya sudah berakhir",
                          "no excluded item is past its period"),
                  Message("catat informasinya di tab DIP (ditetapkan PPID dalam SK PPID) dan hapus barisnya"
                          " dari tab DIK, atau ulangi uji konsekuensinya",
                          "enter the information in the DIP tab (established in a PPID decision) and remove"
                          " its row from the DIK tab, or repeat its consequence test"))


def exclusions_ending(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    days = settings.exclusion_warning_days
    title = Message(f"Tidak ada pengecualian yang berakhir dalam {days} hari",
                    f"No exclusion ends within {days} days")
    until = obs.today + dt.timedelta(days=days)
    soon = [(i, x.expires) for i, x, _ in obs.dik_rows if x and x.expires and obs.today <= x.expires <= until]
    problems = [Message(f"{i} berakhir {format_date(d)}", f"{i} ends on {d.isoformat()}") for i, d in soon]
    return judged("pengecualian_segera_berakhir", title, problems,
                  Message("tidak ada", "none"),
                  Message("siapkan uji konsekuensi ulang atau pembukaan informasinya sebelum tanggal itu",
                          "prepare a new consequence test or the opening of the information before that day"))


def berkala(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    months = settings.berkala_months
    title = Message(f"Informasi Berkala diperbarui paling lambat setiap {months} bulan",
                    f"Periodic information updated at least every {months} months")
    published = _published(obs, "Berkala")
    stale = [i for i in published if i in obs.berkala_updated
             and is_stale(obs.berkala_updated[i], obs.today, months)]
    problems = []
    if not published:
        problems.append(Message("tidak ada informasi Berkala yang terbit", "no Berkala item is published"))
    if stale:
        problems.append(Message(f"lebih dari {months} bulan tidak diperbarui: {_ids(stale)}",
                                f"not updated for more than {months} months: {_ids(stale)}"))
    return judged("berkala", title, problems,
                  Message(f"{len(published)} informasi Berkala, semuanya diperbarui dalam {months} bulan"
                          " terakhir",
                          f"{len(published)} Berkala items, all updated within the last {months} months"),
                  Message("perbarui dokumennya lalu isi kolom Terakhir Diperbarui (bila tidak ada, Waktu"
                          " Pembuatan) dan minta PPID menetapkannya lagi",
                          "update the documents, fill in Terakhir Diperbarui (else Waktu Pembuatan) and have"
                          " the PPID establish them again"))


def setiap_saat(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    least = settings.min_setiap_saat
    count = len(_published(obs, "Setiap Saat"))
    title = Message(f"Paling sedikit {least} dokumen Setiap Saat", f"At least {least} Setiap Saat documents")
    problems = [] if count >= least else [Message(f"baru {count} dokumen Setiap Saat yang terbit",
                                                  f"only {count} Setiap Saat documents are published")]
    return judged("setiap_saat", title, problems,
                  Message(f"{count} dokumen Setiap Saat terbit", f"{count} Setiap Saat documents published"),
                  Message("minta unit mendaftarkan dokumen Setiap Saat lainnya (mulai dari DIP itu sendiri)",
                          "ask the units to register more Setiap Saat documents (beginning with the DIP"
                          " itself)"))


def serta_merta(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    count = len(_published(obs, "Serta Merta"))
    title = Message("Informasi Serta Merta tercantum", "Immediate information listed")
    problems = [] if count else [Message("tidak ada informasi Serta Merta yang terbit",
                                         "no Serta Merta item is published")]
    return judged("serta_merta", title, problems,
                  Message(f"{count} informasi Serta Merta terbit", f"{count} Serta Merta items published"),
                  Message("daftarkan informasi Serta Merta (mis. peringatan bencana, perubahan lokasi TPS)",
                          "register immediate information (e.g. disaster warnings, moved polling stations)"))


def links_work(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    title = Message("Tautan dokumen dapat dibuka", "Document links open")
    links = {i.id: i.link for i in obs.review.items if i.link}
    broken = [(i, obs.links[u]) for i, u in links.items() if u in obs.links and not obs.links[u].ok]
    problems = [Message(f"{i}: {why.id}", f"{i}: {why.en}")
                for i, r in broken[:_SHOWN] for why in [_reason(r)]]
    if len(broken) > _SHOWN:
        problems.append(Message(f"dan {len(broken) - _SHOWN} lainnya", f"and {len(broken) - _SHOWN} more"))
    return judged("tautan", title, problems,
                  Message(f"{len(links)} tautan terbuka", f"{len(links)} links open"),
                  Message("perbaiki alamat di kolom Tautan atau unggah lagi dokumennya",
                          "fix the address in the Tautan column or upload the document again"))


def _same_page(a: str, b: str) -> bool:
    def key(url: str) -> str:
        parts = urlsplit(url)
        path = parts.path.removesuffix("index.html").rstrip("/")
        return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{path}"
    return key(a) == key(b)


def ppid_menu(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    page = settings.ppid_menu_page or config.office.website
    title = Message("DIP dan DIK dapat dicapai dari menu PPID situs utama",
                    "DIP and DIK reachable from the main website's PPID menu")
    problems: list[Message] = []
    dip_url, dik_url = site_url(config), site_url(config, "dik.html")
    todo = Message(f"tambahkan ke menu PPID di {page} tautan \"Daftar Informasi Publik\" ke {dip_url}"
                   f" dan \"Daftar Informasi yang Dikecualikan\" ke {dik_url}",
                   f"add to the PPID menu on {page} a \"Daftar Informasi Publik\" link to {dip_url}"
                   f" and a \"Daftar Informasi yang Dikecualikan\" link to {dik_url}")
    if not page:
        problems.append(Message("halaman situs utama belum diisi", "the main website's page is not set"))
        todo = Message("isi [monev] ppid_menu_page (atau [office] website)",
                       "set [monev] ppid_menu_page (or [office] website)")
    elif obs.menu_links is None:
        problems.append(Message(f"{page} tidak terbuka", f"{page} does not open"))
    else:
        for name, label in (("index.html", Message("Daftar Informasi Publik", "the DIP")),
                            ("dik.html", Message("Daftar Informasi yang Dikecualikan", "the DIK"))):
            target = site_url(config, name)
            if not target or not any(_same_page(href, target) for href in obs.menu_links):
                problems.append(Message(f"{page} tidak menautkan {label.id}",
                                        f"{page} does not link {label.en}"))
    return judged("menu_ppid", title, problems,
                  Message(f"{page} menautkan DIP dan DIK", f"{page} links the DIP and the DIK"), todo,
                  (page,) if page else ())


def _configured(obs: Observed, names: Sequence[tuple[str, str, Message]], forms: bool) -> list[Message]:
    problems = []
    for key, url, label in names:
        if not url:
            problems.append(Message(f"{label.id} belum diisi ([monev] {key})",
                                    f"{label.en} is not set ([monev] {key})"))
            continue
        result = obs.links.get(url)
        if result is not None and not result.ok:
            why = _reason(result)
            problems.append(Message(f"{label.id} tidak terbuka: {why.id}",
                                    f"{label.en} does not open: {why.en}"))
        elif forms and urlsplit(url).path.lower().endswith(_DOWNLOADS):
            problems.append(Message(f"{label.id} berupa berkas unduhan, bukan formulir daring",
                                    f"{label.en} is a file to download, not an online form"))
    return problems


def sop(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    names = (("sop_consequence_test", settings.sop_consequence_test,
              Message("SOP uji konsekuensi", "the SOP for consequence tests")),
             ("sop_dip", settings.sop_dip, Message("SOP penetapan dan pemutakhiran DIP",
                                                   "the SOP for establishing and updating the DIP")))
    return judged("sop", Message("SOP uji konsekuensi dan SOP DIP terpasang", "The SOPs are posted"),
                  _configured(obs, names, forms=False),
                  Message("kedua SOP terbuka di alamatnya", "both SOPs open at their addresses"),
                  Message("unggah SOP-nya ke situs dan tulis alamatnya di [monev]",
                          "post the SOPs on the site and put their addresses in [monev]"),
                  tuple(u for _, u, _ in names if u))


def forms(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem:
    names = (("request_form", settings.request_form, Message("formulir permohonan", "the request form")),
             ("objection_form", settings.objection_form, Message("formulir keberatan", "the objection form")))
    title = Message("Formulir permohonan dan keberatan daring", "Request and objection forms online")
    return judged("formulir", title,
                  _configured(obs, names, forms=True),
                  Message("kedua formulir daring terbuka", "both online forms open"),
                  Message("sediakan formulir isian daring (bukan berkas unduhan) dan tulis alamatnya di"
                          " [monev]",
                          "provide online forms (not files to download) and put their addresses in [monev]"),
                  tuple(u for _, u, _ in names if u))


def higher_dik(obs: Observed, config: Config, settings: MonevSettings) -> MonevItem | None:
    """Only when the higher PPID's DIK is configured."""
    if not settings.higher_dik_url:
        return None
    title = Message("DIK yang mengutip keputusan PPID atasan masih berlaku",
                    "DIK rows citing the higher PPID's decisions are still valid")
    check = obs.higher
    problems: list[Message] = []
    if check is None or check.entries is None:
        problems.append(Message(f"DIK atasan tidak terbaca di {settings.higher_dik_url}",
                                f"the higher PPID's DIK cannot be read at {settings.higher_dik_url}"))
    else:
        problems += [Message(f"{row_id} mengutip {number} yang tidak ada lagi di DIK atasan (dicabut?)",
                             f"{row_id} cites {number}, no longer in the higher PPID's DIK (revoked?)")
                     for row_id, number in check.revoked]
    inherited = len(check.entries or ()) if check else 0
    return judged("dik_atasan", title, problems,
                  Message(f"{inherited} entri DIK atasan diwarisi; kutipan keputusannya masih berlaku",
                          f"{inherited} higher DIK entries inherited; the cited decisions still stand"),
                  Message("tinjau baris itu: ikuti keputusan pengganti dari PPID atasan atau ulangi uji"
                          " konsekuensi", "review those rows: follow the higher PPID's replacing decision"
                          " or repeat the consequence test"), (settings.higher_dik_url,))


JUDGES: tuple[Judge, ...] = (dip_online, list_year, decision_current, dik, expired_exclusions,
                             exclusions_ending, berkala, setiap_saat, serta_merta, links_work, ppid_menu,
                             sop, forms, higher_dik)


def judge_all(obs: Observed, config: Config, settings: MonevSettings) -> list[MonevItem]:
    return [item for judge in JUDGES if (item := judge(obs, config, settings)) is not None]

