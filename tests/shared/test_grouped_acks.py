"""GroupedAcks (shared/consumer.py): finished messages are acked together, never one that
is still in progress. A recording channel stands in for the broker's (the real broker runs
the same path in test_batched_consumer.py and test_event_consumer.py)."""
from shared.consumer import GroupedAcks


class RecordingChannel:
    def __init__(self):
        self.connection = object()
        self.acks: list[tuple[int, bool]] = []

    def basic_ack(self, delivery_tag, multiple=False):
        self.acks.append((delivery_tag, multiple))


class Message:
    def __init__(self, channel, tag):
        self.channel, self.delivery_tag = channel, tag


def grouped():
    spawned = []
    acks = GroupedAcks(lambda run, identifier: spawned.append(run))
    return acks, spawned


def test_a_finished_batch_is_acked_with_one_frame():
    channel = RecordingChannel()
    acks, spawned = grouped()
    messages = [Message(channel, tag) for tag in range(1, 101)]
    for message in messages:
        acks.delivered(message)
    for message in reversed(messages):  # a batch wakes its workers in any order
        acks.finished(message)
    assert len(spawned) == 1 and channel.acks == []  # nothing acked before the flush runs
    spawned[0]()
    assert channel.acks == [(100, True)]


def test_messages_after_one_in_progress_are_acked_one_by_one():
    channel = RecordingChannel()
    acks, spawned = grouped()
    messages = [Message(channel, tag) for tag in range(1, 6)]
    for message in messages:
        acks.delivered(message)
    for message in (messages[0], messages[1], messages[3], messages[4]):  # 3 is still in progress
        acks.finished(message)
    spawned[0]()
    assert channel.acks == [(2, True), (4, False), (5, False)]
    acks.finished(messages[2])
    spawned[1]()
    assert channel.acks[-1] == (3, True)


def test_a_closed_connection_acks_nothing():
    channel = RecordingChannel()
    acks, spawned = grouped()
    message = Message(channel, 1)
    acks.delivered(message)
    acks.finished(message)
    channel.connection = None
    spawned[0]()
    assert channel.acks == []
