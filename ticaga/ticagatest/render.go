package ticagatest

import (
	"strconv"
	"time"
)

// The JSON shapes below copy the documented answers, string numbers
// included ("billing_id": "2", "rating": "0").

// laravelTime formats t as Laravel serialises dates; the zero time is null.
func laravelTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// mysqlTime formats t as MySQL DATETIME text; the zero time is null.
func mysqlTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// userJSON is the customers/get and login shape of u.
func userJSON(u User) map[string]any {
	return map[string]any{
		"id":                u.ID,
		"name":              u.Name,
		"email":             u.Email,
		"email_verified_at": nil,
		"company":           u.Company,
		"phone_number":      u.PhoneNumber,
		"billing_id":        u.BillingID,
		"billing_system":    u.BillingSystem,
		"account_manager":   strconv.FormatInt(u.AccountManager, 10),
		"biography":         u.Biography,
		"created_at":        laravelTime(u.CreatedAt),
		"updated_at":        laravelTime(u.UpdatedAt),
	}
}

// registeredJSON is the register shape of u.
func registeredJSON(u User) map[string]any {
	m := userJSON(u)
	delete(m, "email_verified_at")
	delete(m, "phone_number")
	return m
}

// ticketJSON is the tickets/get/all shape of t.
func ticketJSON(t Ticket) map[string]any {
	return map[string]any{
		"id":                   t.ID,
		"user_id":              t.UserID,
		"subject":              t.Subject,
		"message":              t.Message,
		"status":               t.Status,
		"priority":             t.Priority,
		"cc":                   "",
		"assigned":             0,
		"department_id":        1,
		"rating":               "0",
		"ip_address":           "127.0.0.1",
		"public_hash":          "fakehash" + strconv.FormatInt(t.ID, 10),
		"public_name":          nil,
		"public_email":         nil,
		"organize":             "ticket",
		"date_closed":          mysqlTime(t.ClosedAt),
		"updated_by_client_at": mysqlTime(t.CreatedAt),
		"first_employee_reply": nil,
		"created_at":           laravelTime(t.CreatedAt),
		"updated_at":           nil,
	}
}

// ticketDetailJSON is the tickets/get/{id}/{ticket_id} shape of t, owned by
// u: the ticket columns plus its department and customer.
func ticketDetailJSON(t Ticket, u User) map[string]any {
	m := ticketJSON(t)
	for k, v := range map[string]any{
		"department_name":        "Support",
		"department_description": "Need help, we are here to help.",
		"slug":                   "support",
		"allows_high_priority":   1,
		"is_public":              2,
		"is_disabled":            0,
		"department_email":       "support@example.com",
		"soft_deleted":           0,
		"name":                   u.Name,
		"email":                  u.Email,
		"company":                u.Company,
		"company_name":           u.Company,
		"client_name":            u.Name,
		"ticket_id":              t.ID,
		"department_unique_id":   1,
		"ticket_created":         mysqlTime(t.CreatedAt),
	} {
		m[k] = v
	}
	return m
}

// responseJSON is the responses/get shape of r, written by u.
func responseJSON(r Response, u User) map[string]any {
	return map[string]any{
		"id":                r.ID,
		"user_id":           r.UserID,
		"ticket_number":     r.TicketID,
		"content":           r.Content,
		"organize":          "ticket",
		"is_note":           boolInt(r.IsNote),
		"employee_response": boolInt(r.Employee),
		"ip_address":        "127.0.0.1",
		"created_at":        laravelTime(r.CreatedAt),
		"updated_at":        nil,
		"user_name":         u.Name,
		"user_email":        u.Email,
	}
}

// boolInt is 1 for true, 0 for false, as MySQL booleans come out.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
