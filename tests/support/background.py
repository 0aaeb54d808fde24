"""The `with` protocol of everything a test runs in the background (fake servers, the real service): started on
entry and always stopped on exit, failing test included, so nothing outlives its test or keeps a port."""

from __future__ import annotations

from typing import Self


class Background:
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
