error: lifecycle stage rules are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 3:1
   |
 3 | lifecycle stage reach = did any;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: lifecycle stage rules are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 4:1
   |
 4 | lifecycle stage acquisition = did purchase or did `Order Completed`;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: lifecycle stage rules are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 5:1
   |
 5 | lifecycle stage development = count(purchase) >= 2;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: lifecycle stage rules are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 6:1
   |
 6 | lifecycle stage retention = did purchase within 90 days and first(purchase).ts < now - 180 days;
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: lifecycle stage rules are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 7:1
   |
 7 | lifecycle stage inspire = did referral or (did nps where score >= 9);
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: `show lifecycle` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
  --> 9:1
   |
 9 | show lifecycle;
   | ^^^^^^^^^^^^^^

error: `show lifecycle` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 10:1
    |
 10 | show lifecycle by plan;
    | ^^^^^^^^^^^^^^^^^^^^^^

error: `show retention` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 11:1
    |
 11 | show retention by month;
    | ^^^^^^^^^^^^^^^^^^^^^^^

error: `show retention` reports are parsed but not supported yet (funnels, lifecycle and customer value come with the next release)
   --> 12:1
    |
 12 | show retention by week since 2024-10-01;
    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
