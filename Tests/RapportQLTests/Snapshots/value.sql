error: customer value settings are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 3:1
   |
 3 | set value revenue = purchase.amount, `Order Completed`.amount;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: customer value settings are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 4:1
   |
 4 | set value cost = coupon_applied.discount;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: customer value settings are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 5:1
   |
 5 | set value discount = 12.5%;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^

error: customer value settings are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 6:1
   |
 6 | set value tiers = 10%, 16%, 35%, 20%;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: `show value settings` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 8:1
   |
 8 | show value settings;
   | ^^^^^^^^^^^^^^^^^^^

error: `show tiers` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 9:1
   |
 9 | show tiers;
   | ^^^^^^^^^^

error: `show pareto` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 10:1
    |
 10 | show pareto;
    | ^^^^^^^^^^^

error: `show pareto` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 11:1
    |
 11 | show pareto top 10%;
    | ^^^^^^^^^^^^^^^^^^^

error: `show value chain` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 12:1
    |
 12 | show value chain;
    | ^^^^^^^^^^^^^^^^
