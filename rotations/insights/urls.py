from django.urls import path

from rotations.insights.views import impact, insights

app_name = "insights"

urlpatterns = [
    path("", insights.insight_list, name="list"),
    path("export.csv", insights.insight_export, name="export"),
    path("impact/", impact.impact_dashboard, name="dashboard"),
    path("impact/<str:table>.csv", impact.impact_csv, name="dashboard-csv"),
    path("<int:insight_id>/", insights.insight_detail, name="detail"),
    path("<int:insight_id>/status/", insights.insight_status, name="status"),
    path("<int:insight_id>/merge/", insights.insight_merge_view, name="merge"),
    path("<int:insight_id>/comment/", insights.insight_comment_view, name="comment"),
    path("<int:insight_id>/follow/", insights.insight_follow_view, name="follow"),
    path("<int:insight_id>/plus-one/", insights.insight_plus_one_view, name="plus-one"),
]
