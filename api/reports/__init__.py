"""Response metrics per department and the quarterly ranking (季度通报)."""
