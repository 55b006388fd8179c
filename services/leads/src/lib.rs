//! Leads: lifecycle and delivery to agencies (being written).
