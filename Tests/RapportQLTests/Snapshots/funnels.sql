error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 4:1
   |
 4 | funnel checkout = product_viewed -> added_to_cart within 1 day
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 9:1
   |
 9 | funnel activation = signup -> login within 7d -> purchase where amount >= 20 within 30 days
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 13:1
    |
 13 | funnel quick_checkout = added_to_cart -> order_completed within 1 hour order strict by country;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 16:1
    |
 16 | funnel advocacy = nps where score >= 9 -> referral order any within 4 weeks by country attribute step 1;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 19:1
    |
 19 | funnel legacy = product_viewed -> `Order Completed` within 2 days by newsletter attribute last;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: `show funnel` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 22:1
    |
 22 | show funnel checkout;
    | ^^^^^^^^^^^^^^^^^^^^

error: `show funnel` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 23:1
    |
 23 | show funnel checkout by plan since 2024-01-01;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: `show funnel` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 24:1
    |
 24 | show funnel activation between 2024-01-01 and 2024-06-30;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: funnels are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 27:1
    |
 27 | funnel checkout dropped at 2 | select id, email | limit 20;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
