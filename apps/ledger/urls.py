from django.urls import path

from apps.ledger import views, views_reviews

app_name = "ledger"
urlpatterns = [
    path("ledger/", views.index, name="index"),
    path("ledger/reviews/", views_reviews.review_list, name="reviews"),
    path("ledger/reviews/new/", views_reviews.review_new, name="review_new"),
    path("ledger/creep/reviewed/", views_reviews.creep_reviewed, name="creep_reviewed"),
]
