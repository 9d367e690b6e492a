"""Which metadata files of a file:// backend `recover` repairs: only the stack's own, only unreadable ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytomic_provider.file_backend import broken_metadata, local_root


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///srv/state", Path("/srv/state")),
        ("file:///srv/state?no_tmp_dir=true", Path("/srv/state")),
        ("file:///srv/my%20state", Path("/srv/my state")),
        ("file://~/state", Path.home() / "state"),
        ("file://~", Path.home()),
        ("s3://bucket/state", None),
        ("https://api.pulumi.com", None),
        ("", None),
        (None, None),
    ],
)
def test_local_root_is_the_directory_of_a_file_backend_only(url: str | None, expected: Path | None) -> None:
    assert local_root(url) == expected


def test_a_relative_file_backend_is_resolved_from_the_project_directory(tmp_path: Path) -> None:
    assert local_root("file://./state", tmp_path) == tmp_path / "state"
    assert local_root("file://state", tmp_path) == tmp_path / "state"


def _stack_files(root: Path, project: str, files: dict[str, bytes]) -> Path:
    folder = root / ".pulumi" / "stacks" / project
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def test_empty_or_cut_short_metadata_of_the_stack_is_found(tmp_path: Path) -> None:
    valid = b'{"user.content_type":"application/octet-stream","md5":"AAAA"}\n'
    folder = _stack_files(
        tmp_path,
        "project",
        {
            "dev.json": b"{}",
            "dev.json.attrs": b"",  # what a kill between truncate and write leaves
            "dev.json.bak": b"{}",
            "dev.json.bak.attrs": valid[:20],  # cut short
            "prod.json": b"{}",
            "prod.json.attrs": b"",  # another stack's: not recover's to touch
        },
    )
    expected = [folder / "dev.json.attrs", folder / "dev.json.bak.attrs"]
    assert broken_metadata(tmp_path, "dev") == expected
    assert broken_metadata(tmp_path, "dev", "project") == expected
    assert broken_metadata(tmp_path, "acme/project/dev") == expected


def test_only_the_named_projects_stack_is_looked_at(tmp_path: Path) -> None:
    mine = _stack_files(tmp_path, "mine", {"dev.json": b"{}", "dev.json.attrs": b""})
    _stack_files(tmp_path, "theirs", {"dev.json": b"{}", "dev.json.attrs": b""})
    assert broken_metadata(tmp_path, "dev", "mine") == [mine / "dev.json.attrs"]
    assert broken_metadata(tmp_path, "organization/mine/dev", "theirs") == [mine / "dev.json.attrs"]


def test_readable_metadata_and_other_files_are_left_alone(tmp_path: Path) -> None:
    _stack_files(
        tmp_path,
        "project",
        {
            "dev.json": b"",  # the checkpoint itself is never judged or touched here
            "dev.json.attrs": b'{"md5":"AAAA"}',
            "dev.json.18ed7a98cd688ee1.tmp": b"{",  # a write the kill cut off: never renamed, never read
        },
    )
    assert broken_metadata(tmp_path, "dev") == []
    assert broken_metadata(tmp_path / "elsewhere", "dev") == []


def test_metadata_of_a_stack_outside_any_project_folder_is_found(tmp_path: Path) -> None:
    folder = tmp_path / ".pulumi" / "stacks"
    folder.mkdir(parents=True)
    (folder / "dev.json").write_bytes(b"{}")
    (folder / "dev.json.attrs").write_bytes(b"\x00\x00")
    assert broken_metadata(tmp_path, "dev") == [folder / "dev.json.attrs"]


@pytest.mark.parametrize("project", ["../../../outside", "..", "a/b", ""])
def test_a_project_name_that_is_a_path_reaches_nothing_outside_the_backend(
    tmp_path: Path, project: str
) -> None:
    """`name: ../../../outside` in Pulumi.yaml must not make recover look at (and repair) files elsewhere."""
    root = tmp_path / "backend"
    (root / ".pulumi" / "stacks").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "dev.json.attrs").write_text("")  # empty, as a cut-short metadata file would be
    assert broken_metadata(root, "dev", project) == []
    assert broken_metadata(root, "../dev", None) == []
    assert (outside / "dev.json.attrs").exists()
