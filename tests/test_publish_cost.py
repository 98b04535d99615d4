"""What a publish costs as the archive grows: the same archived files read with 1 or many versions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from dip_sheets import publish_plan, render
from dip_sheets import schema as s
from dip_sheets.config import Config
from dip_sheets.publish import publish
from dip_sheets.site import MANIFEST
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, established
from tests.memory_register import MemoryRegister, memory_register
from tests.test_publish_digest import ReadCounting


def site_with(config: Config, versions: int) -> tuple[Config, MemoryRegister]:
    """A site of its own holding ``versions`` archived versions, each one item more than the last."""
    config = dataclasses.replace(config, publish=dataclasses.replace(
        config.publish, folder=config.publish.folder.with_name(f"situs-{versions}")))
    register = memory_register()
    for n in range(versions):
        register.add(s.DIP_TAB, established(f"Informasi {n + 1}"))
        result = publish(config, register, FolderTarget(config.publish.folder),
                         now=NOW + dt.timedelta(minutes=n), force=True)
        assert result.status == "published"
    return config, register


def archived_reads(config: Config, register: MemoryRegister, at: dt.datetime) -> list[str]:
    """The files of archived versions (but their manifests) a changed publish at ``at`` reads."""
    register.add(s.DIP_TAB, established("Informasi baru"))
    target = ReadCounting(config.publish.folder)
    result = publish(config, register, target, now=at, force=True)
    assert result.status == "published"
    new = f"arsip/{result.version}/"
    return sorted(p for p in target.reads
                  if p.startswith("arsip/") and not p.startswith(new) and not p.endswith(f"/{MANIFEST}"))


def test_a_publish_reads_the_same_archived_files_with_1_or_12_archived_versions(
        publish_config: Config) -> None:
    later = NOW + dt.timedelta(hours=1)
    one = archived_reads(*site_with(publish_config, 1), later)
    many = archived_reads(*site_with(publish_config, 12), later)
    # the live version's list only: what the new version's changes and feed are taken against
    assert len(one) == len(many) == 1, many
    assert many[0].endswith("/dip.json")


def test_a_changed_publish_renders_the_new_version_only(publish_config: Config,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the live version again to compare: the register's list changed, so it cannot be that."""
    config, register = site_with(publish_config, 2)
    renders: list[str] = []
    real = render.render_site

    def counted(*args: Any, **kwargs: Any) -> Any:
        renders.append(args[3].id)
        return real(*args, **kwargs)
    monkeypatch.setattr(publish_plan, "render_site", counted)
    register.add(s.DIP_TAB, established("Informasi baru"))
    result = publish(config, register, FolderTarget(config.publish.folder), now=NOW + dt.timedelta(hours=1),
                     force=True)
    assert result.status == "published" and renders == [result.version]
    # an unchanged list is still recognised (the same inputs: nothing rendered at all)
    renders.clear()
    again = publish(config, register, FolderTarget(config.publish.folder), now=NOW + dt.timedelta(hours=2),
                    force=True)
    assert again.status == "unchanged" and renders == []
