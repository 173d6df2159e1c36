"""kombu transports, each fixing one thing in the one kombu ships.

``Transport`` (Redis) keeps one client per channel. kombu builds a new ``redis.Redis``
for every publish (and every other command); each one copies redis-py's table of ~170
response callbacks, which costs more than the LPUSH it sends. A client is thread-safe
and stateless over its pool, so the channel's one does the same work. (``frontline.cache``
does the same for Django's cache.)

``FilesystemTransport`` (the no-server broker of a fresh machine) writes each message
whole before a worker can see it. kombu creates the message file and only then writes
it; a worker listing the folder in between takes an empty file, fails to decode it and
stops with "Unrecoverable error".
"""

from __future__ import annotations

import os
import uuid
from contextlib import suppress
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, redis
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        if self._sync_client is None:
            self._sync_client = super()._create_client()
        return self._sync_client

    def _disconnect_pools(self):
        # kombu drops its pools (after a fork, a failed ping, on close): the client
        # must go with them, or it would keep the old pool's connections open.
        super()._disconnect_pools()
        self._sync_client = None


class Transport(redis.Transport):
    Channel = Channel


class FilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # kombu's name, so its readers order and match messages as before.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A name no reader matches (they take "<stamp>_<id>.<queue>.msg"), in the same
        # folder so the rename is atomic: readers see no file or the whole message.
        part = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(part, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(part, final)
        except OSError as exc:
            with suppress(OSError):
                os.unlink(part)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
