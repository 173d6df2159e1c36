"""Serializer instances get their own copies of the fields, bound to themselves."""

from __future__ import annotations

from rotations.api.serializers import BookingSerializer, QueueChangedSerializer, QueueSerializer


def _bound(serializer_class):
    return [serializer_class().fields for _ in range(2)]


def test_each_instance_binds_its_own_fields():
    first, second = _bound(BookingSerializer)
    for name in first:
        assert first[name] is not second[name]
        assert first[name].parent is not second[name].parent
    # Nested serializers are whole new instances, down to their own fields.
    assert first["shift"].fields["queue_name"] is not second["shift"].fields["queue_name"]
    assert first["shift"].fields["queue_name"].root is first["shift"].parent


def test_fields_with_children_get_their_own_children():
    first, second = _bound(QueueChangedSerializer)
    assert first["warnings"].child is not second["warnings"].child
    assert first["warnings"].child.parent is first["warnings"]
    first_leads, second_leads = (fields["leads"] for fields in _bound(QueueSerializer))
    assert first_leads.child_relation is not second_leads.child_relation
    assert first_leads.child_relation.parent is first_leads
