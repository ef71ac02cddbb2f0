"""Subscription filter matching (SOL005 v2.6.1 §6.5.3.x LccnSubscriptionFilter, §9.5.3.x
PkgmNotificationsFilter): attributes ANDed, values ORed, criteria about attributes a
notification does not carry do not apply; duplicate detection ignores credentials."""

from __future__ import annotations

from netorch.services.notify import dedup_key, filter_matches

LCM = {"notificationType": "NsLcmOperationOccurrenceNotification", "nsInstanceId": "ns-1",
       "operationType": "INSTANTIATE", "operationState": "COMPLETED", "nsdId": "nsd-1"}


def test_empty_filter_matches_everything() -> None:
    assert filter_matches({}, LCM)


def test_values_or_attributes_and() -> None:
    assert filter_matches({"operationStates": ["FAILED_TEMP", "COMPLETED"]}, LCM)
    assert not filter_matches({"operationStates": ["FAILED_TEMP"]}, LCM)
    assert filter_matches({"operationTypes": ["INSTANTIATE"],
                           "operationStates": ["COMPLETED"]}, LCM)
    assert not filter_matches({"operationTypes": ["SCALE"],
                               "operationStates": ["COMPLETED"]}, LCM)


def test_ns_instance_subscription_filter() -> None:
    assert filter_matches({"nsInstanceSubscriptionFilter": {"nsInstanceIds": ["ns-1"]}}, LCM)
    assert not filter_matches({"nsInstanceSubscriptionFilter": {"nsdIds": ["other"]}}, LCM)


def test_criteria_on_absent_attributes_do_not_apply() -> None:
    creation = {"notificationType": "NsIdentifierCreationNotification", "nsInstanceId": "ns-1"}
    assert filter_matches({"operationStates": ["COMPLETED"]}, creation)
    assert not filter_matches({"notificationTypes": ["NsLcmOperationOccurrenceNotification"]},
                              creation)


def test_package_filters() -> None:
    pkg = {"notificationType": "VnfPackageOnboardingNotification", "vnfPkgId": "p1",
           "vnfdId": "d1", "vnfProvider": "ACME", "vnfProductName": "fw",
           "vnfSoftwareVersion": "1.0", "vnfdVersion": "2"}
    assert filter_matches({"vnfPkgId": ["p1", "p2"], "vnfdId": ["d1"]}, pkg)
    assert not filter_matches({"vnfdId": ["d2"]}, pkg)
    products = [{"vnfProvider": "ACME", "vnfProducts": [{"vnfProductName": "fw", "versions": [
        {"vnfSoftwareVersion": "1.0", "vnfdVersions": ["2"]}]}]}]
    assert filter_matches({"vnfProductsFromProviders": products}, pkg)
    other = [{"vnfProvider": "ACME", "vnfProducts": [{"vnfProductName": "router"}]}]
    assert not filter_matches({"vnfProductsFromProviders": other}, pkg)


def test_dedup_key_is_callback_and_filter() -> None:
    a = dedup_key("http://x/cb", {"notificationTypes": ["A"], "operationStates": ["B"]})
    b = dedup_key("http://x/cb", {"operationStates": ["B"], "notificationTypes": ["A"]})
    assert a == b
    assert a != dedup_key("http://x/other", {"notificationTypes": ["A"]})
